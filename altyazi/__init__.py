"""altyazi: Turkish TV-drama episodes to natural French subtitles, fully local.

The package holds all the logic; ``scripts/`` are thin Snakemake entry points.
"""

__version__ = "0.1.0"
