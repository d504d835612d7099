"""Where requests enter the mirror."""
