-- A fourth outcome of a row: dropped on purpose by the route's transform. read = inserted + duplicate + filtered + rejected.
ALTER TABLE ${run_table} ADD rows_filtered BIGINT NOT NULL CONSTRAINT df_${run_table}_filtered DEFAULT 0;
