"""The mirror's work that is neither a route nor a table, grouped by capability.

Each subpackage owns one capability and may use models/, schemas/, the shared helpers at this
level and the packages named in its own docstring; none imports Flask, blueprints/ or commands/.
"""
