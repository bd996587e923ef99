-- A derived column, filled by the route's transform (examples/derived-column). Versions of your own start high
-- (V100), so Ferry's next migrations (V4, V5, ...) still apply before them.
ALTER TABLE ${target_table} ADD plant_line NVARCHAR(20) NULL;
