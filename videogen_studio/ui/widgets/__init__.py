"""Small widgets, colours and Qt helpers shared by every part of the GUI (no feature logic here)."""
