"""Evacuation and shelters (转移避险, 避灾安置): danger zones and their households, shelters,
evacuations with a roster marked from the field, check-in at shelters, the live board."""
