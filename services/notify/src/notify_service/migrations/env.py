from notify_service.persistence.tables import metadata
from kinerja_kit.migrations import run_env

run_env(metadata)
