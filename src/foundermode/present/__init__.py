"""The one presentation layer for humans: times, durations, names and links.

Analyses return numbers, epoch seconds and ids; these functions word them for
people (the web's Jinja filters, the HTML and terminal brief, the CLI's
tables). Machine formats (JSON, CSV) never go through here: they carry ISO
8601 times and plain numbers (``foundermode.reports``).
"""
