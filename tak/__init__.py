"""TAK field devices (docs/tak.md). What the command line shows before it imports any of it is here."""

# A device sees the units within this of its last position: a district and its neighbours, what a patrol
# needs for backup. Every unit of a city to every device is devices x units (docs/tak.md).
DEFAULT_UNIT_RANGE_KM = 5.0
