namespace robur::caldav {}
