namespace robur::openvpn {}
