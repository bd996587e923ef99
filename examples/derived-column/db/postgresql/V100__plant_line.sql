-- A derived column, filled by the route's transform (examples/derived-column). Versions of your own start high
-- (V100), so Ferry's next migrations (V4, V5, ...) still apply before them.
ALTER TABLE ${target_table} ADD COLUMN plant_line VARCHAR(20) NULL;
