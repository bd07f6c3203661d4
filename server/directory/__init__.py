"""The directory: areas (city > district > town > village > grid), places, people, duty posts."""
