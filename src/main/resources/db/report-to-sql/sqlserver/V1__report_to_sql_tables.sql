-- report-to-sql on SQL Server. Table names come from ferry.report-to-sql.*-table (Flyway placeholders).
-- The target table matches the default column mapping (ferry.report-to-sql.columns); a different report gets its
-- own versioned script (V2__..., or a location of its own in ferry.report-to-sql.migrations).
CREATE TABLE ${target_table} (
    tracking_id     NVARCHAR(40)   NOT NULL,
    plant           NVARCHAR(10)   NOT NULL,
    line_no         INT            NULL,
    part_number     NVARCHAR(20)   NOT NULL,
    quantity        INT            NOT NULL,
    unit_weight_kg  DECIMAL(10, 3) NULL,
    produced_at     DATETIME2(0)   NOT NULL,   -- UTC
    operator_name   NVARCHAR(100)  NULL,
    quality_passed  BIT            NULL,
    notes           NVARCHAR(2000) NULL,
    row_hash        CHAR(64)       NOT NULL,   -- SHA-256 of the normalized row (or its key columns)
    run_id          CHAR(36)       NOT NULL,
    loaded_at       DATETIME2(3)   NOT NULL CONSTRAINT df_${target_table}_loaded_at DEFAULT SYSUTCDATETIME()
);
-- IGNORE_DUP_KEY: a duplicate is discarded by the engine (update count 0) instead of failing the whole batch.
CREATE UNIQUE INDEX ux_${target_table}_row_hash ON ${target_table} (row_hash) WITH (IGNORE_DUP_KEY = ON);

CREATE TABLE ${rejects_table} (
    id           BIGINT IDENTITY(1, 1) NOT NULL PRIMARY KEY,
    run_id       CHAR(36)       NOT NULL,
    line_number  BIGINT         NOT NULL,
    raw_line     NVARCHAR(MAX)  NOT NULL,
    reason       NVARCHAR(4000) NOT NULL,
    stage        VARCHAR(10)    NOT NULL,   -- convert | database
    rejected_at  DATETIME2(3)   NOT NULL CONSTRAINT df_${rejects_table}_at DEFAULT SYSUTCDATETIME()
);
CREATE INDEX ix_${rejects_table}_run ON ${rejects_table} (run_id, line_number);

CREATE TABLE ${run_table} (
    run_id          CHAR(36)       NOT NULL PRIMARY KEY,
    report          NVARCHAR(400)  NOT NULL,
    window_start    DATETIME2(0)   NOT NULL,   -- in ferry.report-to-sql.time-zone, like the report's parameters
    window_end      DATETIME2(0)   NOT NULL,
    started_at      DATETIME2(3)   NOT NULL,   -- UTC
    ended_at        DATETIME2(3)   NULL,
    rows_read       BIGINT         NOT NULL,
    rows_inserted   BIGINT         NOT NULL,
    rows_duplicate  BIGINT         NOT NULL,
    rows_rejected   BIGINT         NOT NULL,
    status          VARCHAR(12)    NOT NULL,   -- RUNNING | SUCCEEDED | FAILED | ABANDONED
    error           NVARCHAR(4000) NULL
);
CREATE INDEX ix_${run_table}_watermark ON ${run_table} (report, status, window_end);
