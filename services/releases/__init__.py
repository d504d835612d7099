"""Release notes: reading them for GET /releases and exports, and taking them in from dumps.

Uses models/, schemas/ and the shared helpers at services/ level (catalog/semver for version
order, imports/summary for the tally); dumps/ and imports/ call in here, never the reverse.
"""
