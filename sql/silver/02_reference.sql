-- Reference tables: typed, renamed, trimmed, one row per id (the latest load wins).
DROP TABLE IF EXISTS silver_products;
CREATE TABLE silver_products AS
SELECT id_produto AS product_id, TRIM(nome_produto) AS product_name, CURRENT_TIMESTAMP AS _updated_at
FROM (SELECT p.*, ROW_NUMBER() OVER (PARTITION BY id_produto ORDER BY _ingest_timestamp DESC, _source_file DESC) AS rn
      FROM products p WHERE id_produto IS NOT NULL) x
WHERE rn = 1;

DROP TABLE IF EXISTS silver_countries;
CREATE TABLE silver_countries AS
SELECT id_pais AS country_id, TRIM(nome_pais) AS country_name, CURRENT_TIMESTAMP AS _updated_at
FROM (SELECT c.*, ROW_NUMBER() OVER (PARTITION BY id_pais ORDER BY _ingest_timestamp DESC, _source_file DESC) AS rn
      FROM countries c WHERE id_pais IS NOT NULL) x
WHERE rn = 1;

DROP TABLE IF EXISTS silver_states;
CREATE TABLE silver_states AS
SELECT id_estado AS state_id, id_pais AS country_id, TRIM(nome_estado) AS state_name, CURRENT_TIMESTAMP AS _updated_at
FROM (SELECT s.*, ROW_NUMBER() OVER (PARTITION BY id_estado ORDER BY _ingest_timestamp DESC, _source_file DESC) AS rn
      FROM states s WHERE id_estado IS NOT NULL) x
WHERE rn = 1;

DROP TABLE IF EXISTS silver_units;
CREATE TABLE silver_units AS
SELECT u.id_unidade AS unit_id, TRIM(u.nome_unidade) AS unit_name, u.id_estado AS state_id,
       s.state_name, s.country_id, c.country_name, CURRENT_TIMESTAMP AS _updated_at
FROM (SELECT b.*, ROW_NUMBER() OVER (PARTITION BY id_unidade ORDER BY _ingest_timestamp DESC, _source_file DESC) AS rn
      FROM units b WHERE id_unidade IS NOT NULL) u
LEFT JOIN silver_states s ON s.state_id = u.id_estado
LEFT JOIN silver_countries c ON c.country_id = s.country_id
WHERE u.rn = 1;
