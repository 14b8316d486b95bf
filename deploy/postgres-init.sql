-- docker-compose: one database per service, as deploy/postgres.sh creates locally.
CREATE DATABASE runway_intake;
CREATE DATABASE runway_judicial;
CREATE DATABASE runway_assurance;
CREATE DATABASE runway_transport;
CREATE DATABASE runway_court;
CREATE DATABASE runway_audit;
-- the personal-data key store every service shares (shared/pii)
CREATE DATABASE runway_keys;
