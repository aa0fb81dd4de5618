namespace robur::vpn {}
