/**
 * The call's grid: how many columns and rows of tiles fit `count` videos into the stage best, i.e.
 * make each tile (kept at `aspect`, letterboxed inside its cell) as large as possible. One to six
 * people is the mesh's range; more (hosts beyond meet.maxPeers) still get a shape.
 */
export interface GridShape {
  columns: number;
  rows: number;
}

export function gridShape(count: number, width: number, height: number, aspect = 16 / 9): GridShape {
  const n = Math.max(1, Math.floor(count));
  if (!(width > 0) || !(height > 0))
    return { columns: Math.ceil(Math.sqrt(n)), rows: Math.ceil(n / Math.ceil(Math.sqrt(n))) };
  let best: GridShape = { columns: 1, rows: n };
  let bestArea = -1;
  for (let columns = 1; columns <= n; columns++) {
    const rows = Math.ceil(n / columns);
    const cellWidth = width / columns;
    const cellHeight = height / rows;
    // The video inside a cell: as wide as the cell unless that makes it too tall.
    const tileWidth = Math.min(cellWidth, cellHeight * aspect);
    const area = tileWidth * (tileWidth / aspect);
    // Ties go to fewer empty cells, then to fewer columns (a strip reads better than a sparse grid).
    const fewerEmpty = columns * rows < best.columns * best.rows;
    if (area > bestArea * 1.0001 || (area * 1.0001 >= bestArea && fewerEmpty)) {
      best = { columns, rows };
      bestArea = Math.max(area, bestArea);
    }
  }
  return best;
}
