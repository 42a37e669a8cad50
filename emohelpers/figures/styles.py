"""Names of the figures' styles, with no imports: the report's parameters and the command
line offer them without loading Plotly."""

#: The annotated video's radar: one polygon per person in the frame, or the main person's.
RADAR_STYLES: tuple[str, ...] = ("per-person", "main")
