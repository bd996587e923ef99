-- A fourth outcome of a row: dropped on purpose by the route's transform. read = inserted + duplicate + filtered + rejected.
ALTER TABLE ${run_table} ADD COLUMN rows_filtered BIGINT NOT NULL DEFAULT 0;
