namespace robur::vcard {}
