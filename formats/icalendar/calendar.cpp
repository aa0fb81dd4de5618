namespace robur::icalendar {}
