-- Bronze: landed restaurant files as loaded by `ecomlake ingest`, one row per valid CSV row, with
-- lineage. Portable DDL: SQLite accepts these type names (DATE and TIMESTAMPTZ get NUMERIC affinity and
-- keep ISO text), PostgreSQL uses them natively. Money stays NUMERIC(10,2) as in the original.
CREATE TABLE IF NOT EXISTS orders (
    id_unidade BIGINT NOT NULL,
    id_pedido TEXT NOT NULL,
    tipo_pedido TEXT,
    data_pedido DATE,
    vlr_pedido NUMERIC(10,2),
    endereco_entrega TEXT,
    taxa_entrega NUMERIC(10,2),
    status TEXT,
    data_hora_pedido TIMESTAMPTZ,
    _source_file TEXT NOT NULL,
    _ingest_timestamp TIMESTAMPTZ NOT NULL,
    _ingest_date DATE NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_source_file ON orders (_source_file);
CREATE INDEX IF NOT EXISTS orders_id_pedido ON orders (id_pedido);

CREATE TABLE IF NOT EXISTS order_items (
    id_pedido TEXT NOT NULL,
    id_item_pedido TEXT NOT NULL,
    id_produto BIGINT,
    qtd BIGINT,
    vlr_item NUMERIC(10,2),
    observacao TEXT,
    _source_file TEXT NOT NULL,
    _ingest_timestamp TIMESTAMPTZ NOT NULL,
    _ingest_date DATE NOT NULL
);
CREATE INDEX IF NOT EXISTS order_items_source_file ON order_items (_source_file);
CREATE INDEX IF NOT EXISTS order_items_id_item_pedido ON order_items (id_item_pedido);

CREATE TABLE IF NOT EXISTS products (
    id_produto BIGINT NOT NULL,
    nome_produto TEXT,
    _source_file TEXT NOT NULL,
    _ingest_timestamp TIMESTAMPTZ NOT NULL,
    _ingest_date DATE NOT NULL
);

CREATE TABLE IF NOT EXISTS units (
    id_unidade BIGINT NOT NULL,
    nome_unidade TEXT,
    id_estado BIGINT,
    _source_file TEXT NOT NULL,
    _ingest_timestamp TIMESTAMPTZ NOT NULL,
    _ingest_date DATE NOT NULL
);

CREATE TABLE IF NOT EXISTS states (
    id_estado BIGINT NOT NULL,
    id_pais BIGINT,
    nome_estado TEXT,
    _source_file TEXT NOT NULL,
    _ingest_timestamp TIMESTAMPTZ NOT NULL,
    _ingest_date DATE NOT NULL
);

CREATE TABLE IF NOT EXISTS countries (
    id_pais BIGINT NOT NULL,
    nome_pais TEXT,
    _source_file TEXT NOT NULL,
    _ingest_timestamp TIMESTAMPTZ NOT NULL,
    _ingest_date DATE NOT NULL
);

-- Every rejected row and every file-level problem, so nothing is dropped silently.
CREATE TABLE IF NOT EXISTS ingest_rejects (
    source_file TEXT NOT NULL,
    line BIGINT,
    column_name TEXT,
    rule TEXT NOT NULL,
    message TEXT,
    _ingest_timestamp TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS ingest_rejects_source_file ON ingest_rejects (source_file);

-- The load ledger: one row per source file and the content hash it was loaded with. stat_key
-- (size, mtime and ctime in ns, inode) validates the hash cheaply, as git's index does: a file whose
-- stat data is unchanged is not read again; any difference means re-reading and hashing it.
CREATE TABLE IF NOT EXISTS ingest_ledger (
    source_file TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    stat_key TEXT,
    status TEXT NOT NULL,
    rows_total BIGINT NOT NULL,
    rows_loaded BIGINT NOT NULL,
    rows_rejected BIGINT NOT NULL,
    loaded_at TIMESTAMPTZ NOT NULL
);
