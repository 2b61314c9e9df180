-- Runs once, on the first start of an empty PostgreSQL data volume (docker-entrypoint-initdb.d).
-- One database and one login role per service: a service can reach only its own data.
-- The one script for both local stacks: docker-compose.yml mounts it, and the local cluster
-- (deploy/k8s/overlays/local) gets it as the ConfigMap postgres-init from ./kustomization.yaml.
-- The passwords are for those local stacks only; production takes the URLs from Secrets.
CREATE ROLE kinerja_activity LOGIN PASSWORD 'kinerja_activity';
CREATE ROLE kinerja_scoring  LOGIN PASSWORD 'kinerja_scoring';
CREATE ROLE kinerja_approval LOGIN PASSWORD 'kinerja_approval';
CREATE ROLE kinerja_tpp      LOGIN PASSWORD 'kinerja_tpp';
CREATE ROLE kinerja_notify   LOGIN PASSWORD 'kinerja_notify';

CREATE DATABASE kinerja_activity OWNER kinerja_activity;
CREATE DATABASE kinerja_scoring  OWNER kinerja_scoring;
CREATE DATABASE kinerja_approval OWNER kinerja_approval;
CREATE DATABASE kinerja_tpp      OWNER kinerja_tpp;
CREATE DATABASE kinerja_notify   OWNER kinerja_notify;

-- Nobody but the owner connects to a service's database.
REVOKE CONNECT, TEMPORARY ON DATABASE kinerja_activity FROM PUBLIC;
REVOKE CONNECT, TEMPORARY ON DATABASE kinerja_scoring  FROM PUBLIC;
REVOKE CONNECT, TEMPORARY ON DATABASE kinerja_approval FROM PUBLIC;
REVOKE CONNECT, TEMPORARY ON DATABASE kinerja_tpp      FROM PUBLIC;
REVOKE CONNECT, TEMPORARY ON DATABASE kinerja_notify   FROM PUBLIC;
