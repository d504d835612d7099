"""The mirror's status document: what GET /status and `flask mirror status --json` send."""

from marshmallow import fields

from models.import_record import ImportKind
from schemas.base import WireSchema
from schemas.fields import UTCDateTime


class ImportStatusSchema(WireSchema):
    """One committed import or sync, from its import record."""

    kind = fields.String(
        required=True,
        metadata={
            "description": f'"{ImportKind.IMPORT}" (flask mirror import or seed), or '
            f'"{ImportKind.SYNC}" or "{ImportKind.SYNC_NODES}" '
            "(flask mirror sync of the whole registry or of some nodes)"
        },
    )
    origin = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Where the data came from: an upstream's URL, a dump's source"},
    )
    sources = fields.List(
        fields.String(),
        required=True,
        metadata={"description": "The dumps, bundles or URLs it read"},
    )
    replace = fields.Boolean(
        required=True, metadata={"description": "Whether it made the mirror equal to its sources"}
    )
    started_at = UTCDateTime(
        required=True, allow_none=True, metadata={"description": "When the work began"}
    )
    finished_at = UTCDateTime(required=True, metadata={"description": "When it committed"})


class ArchivesStatusSchema(WireSchema):
    """The node archives the mirror stores."""

    versions = fields.Integer(
        required=True, metadata={"description": "Versions whose archive is mirrored"}
    )
    missing = fields.Integer(
        required=True,
        metadata={
            "description": "Versions that lack their archive (not Deleted or Banned, none "
            "mirrored): served with their upstream downloadUrl, fetched by the next sync "
            "with --with-archives that reaches it"
        },
    )
    stored = fields.Integer(
        required=True,
        metadata={"description": "Distinct archives stored (identical archives are stored once)"},
    )
    bytes = fields.Integer(
        required=True, metadata={"description": "Total size of the stored archives"}
    )


class ComfyNodesStatusSchema(WireSchema):
    """The node-class index: how many versions have their classes, and from where."""

    upstream = fields.Integer(
        required=True,
        metadata={"description": "Versions whose node classes came from upstream's index"},
    )
    extracted = fields.Integer(
        required=True,
        metadata={"description": "Versions whose node classes the mirror read from the archive"},
    )
    not_indexed = fields.Integer(
        required=True,
        metadata={"description": "Versions whose archive could not be read (not indexed)"},
    )
    pending = fields.Integer(
        required=True,
        metadata={
            "description": "Versions whose archive the mirror holds but whose node classes are "
            "not recorded yet (`flask mirror index` reads them)"
        },
    )
    classes = fields.Integer(
        required=True, metadata={"description": "Node classes recorded, over every version"}
    )


class VerifyStatusSchema(WireSchema):
    """One recorded `flask mirror verify`: when, and what it found."""

    finished_at = UTCDateTime(required=True, metadata={"description": "When it finished"})
    repaired = fields.Boolean(
        required=True,
        metadata={"description": "Whether --repair ran first (the figures are those after it)"},
    )
    problems = fields.Integer(required=True, metadata={"description": "Problems found"})
    problem_kinds = fields.Dict(
        required=True,
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "Problems per kind (e.g. missing archives), found kinds only"},
    )
    nodes = fields.Integer(required=True, metadata={"description": "Nodes checked"})
    versions = fields.Integer(required=True, metadata={"description": "Versions checked"})
    archives = fields.Integer(
        required=True, metadata={"description": "Archives checked (each one hashed)"}
    )


class StatusSchema(WireSchema):
    """What the mirror holds, how fresh it is, and which software serves it."""

    software_version = fields.String(
        required=True, metadata={"description": "The mirror software's version"}
    )
    nodes = fields.Integer(required=True, metadata={"description": "Nodes mirrored"})
    versions = fields.Integer(
        required=True, metadata={"description": "Versions mirrored, in every status"}
    )
    versions_by_status = fields.Dict(
        required=True,
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "Versions per NodeVersionStatus, every status listed"},
    )
    archives = fields.Nested(ArchivesStatusSchema, required=True)
    release_notes = fields.Integer(
        required=True,
        metadata={"description": "Release notes mirrored, in every project and locale"},
    )
    comfy_nodes = fields.Nested(ComfyNodesStatusSchema, required=True)
    newest_created_at = UTCDateTime(
        required=True,
        allow_none=True,
        metadata={"description": "The newest createdAt of any mirrored version"},
    )
    last_import = fields.Nested(
        ImportStatusSchema,
        required=True,
        allow_none=True,
        metadata={"description": "The import (flask mirror import or seed) that finished last"},
    )
    last_sync = fields.Nested(
        ImportStatusSchema,
        required=True,
        allow_none=True,
        metadata={"description": "The sync from an upstream registry that finished last"},
    )
    last_verify = fields.Nested(
        VerifyStatusSchema,
        required=True,
        allow_none=True,
        metadata={"description": "The verification (flask mirror verify) that finished last"},
    )
    pull_through_imports = fields.Integer(
        required=True,
        metadata={"description": "Imports of nodes fetched on a miss (MIRROR_PULL_THROUGH)"},
    )
    last_pull_through = fields.Nested(
        ImportStatusSchema,
        required=True,
        allow_none=True,
        metadata={"description": "The import of nodes fetched on a miss that finished last"},
    )
