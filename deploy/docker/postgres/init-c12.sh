#!/bin/bash
# The c12 role and database C12's ledger writes to (ledger.store: postgresql):
# the password from $C12_DB_PASSWORD (.env), as the DSN in docker-compose.yml
# uses it. C12 creates its tables itself (its migrations) on first start.
set -euo pipefail
: "${C12_DB_PASSWORD:?C12_DB_PASSWORD is not set (.env: see .env.example)}"
psql -v ON_ERROR_STOP=1 -q -U postgres -d postgres -v pw="$C12_DB_PASSWORD" <<'SQL'
CREATE ROLE c12 LOGIN PASSWORD :'pw';
CREATE DATABASE c12 OWNER c12;
SQL
