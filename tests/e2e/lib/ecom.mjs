// Helpers for the ecom e2e tests: the table list and a small RFC 4180 CSV parser.
export const TABLES = ['customers', 'product_catalog', 'shopping_carts', 'cart_items', 'orders', 'order_items',
  'returns', 'return_items'];

// Parses CSV text (quoted fields, doubled quotes, CRLF or LF) into arrays of strings.
export function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
        quoted = false; i++; continue;
      }
      field += ch; i++; continue;
    }
    if (ch === '"') { quoted = true; i++; continue; }
    if (ch === ',') { row.push(field); field = ''; i++; continue; }
    if (ch === '\r' && text[i + 1] === '\n') i++;
    if (ch === '\n' || ch === '\r') { row.push(field); rows.push(row); row = []; field = ''; i++; continue; }
    field += ch; i++;
  }
  if (field !== '' || row.length) { row.push(field); rows.push(row); }
  return rows;
}

// The CSV text without its header line.
export function csvBody(text) {
  const nl = text.indexOf('\n');
  return nl < 0 ? '' : text.slice(nl + 1);
}
