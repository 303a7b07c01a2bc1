"""Partner exports: profiles (allow-lists), formats, streaming, small-cell suppression.

What leaves is decided in one place, `profiles.py` (per-record profiles) and
`aggregate.py` (the public profile); how it is written, in `formats.py`, `pfif.py` and
the one CSV writer `csv_safe.py`; how records are read, in `stream.py`; the whole of one
export (checks, log, audit), in `service.py`. Nothing here writes a record.
"""
