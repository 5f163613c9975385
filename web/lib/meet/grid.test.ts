import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { gridShape } from './grid';

describe('gridShape', () => {
  test.each([
    { why: 'one person fills the stage', count: 1, width: 1600, height: 900, columns: 1, rows: 1 },
    { why: 'two on a wide stage sit side by side', count: 2, width: 1600, height: 500, columns: 2, rows: 1 },
    { why: 'two on a tall stage stack', count: 2, width: 400, height: 900, columns: 1, rows: 2 },
    { why: 'four on 16:9 make a square', count: 4, width: 1600, height: 900, columns: 2, rows: 2 },
    { why: 'six on a wide stage make three by two', count: 6, width: 1920, height: 800, columns: 3, rows: 2 },
    {
      why: 'six on a narrow stage make two by three',
      count: 6,
      width: 900,
      height: 1000,
      columns: 2,
      rows: 3,
    },
    {
      why: 'three on a very wide stage make a strip',
      count: 3,
      width: 3000,
      height: 500,
      columns: 3,
      rows: 1,
    },
    { why: 'three on a phone held upright stack', count: 3, width: 390, height: 800, columns: 1, rows: 3 },
    // Equal tiles either way (640×360): the documented tie-break takes fewer columns.
    {
      why: 'six on 16:9 tie and take fewer columns',
      count: 6,
      width: 1920,
      height: 1080,
      columns: 2,
      rows: 3,
    },
  ])('$why: $count in $width×$height → $columns×$rows', ({ count, width, height, columns, rows }) => {
    expect(gridShape(count, width, height)).toEqual({ columns, rows });
  });

  test('square tiles on a square stage: four make two by two, not a strip', () => {
    expect(gridShape(4, 1000, 1000, 1)).toEqual({ columns: 2, rows: 2 });
  });

  // Regression: on a tie, 3×3 (two empty cells) was chosen over 4×2 (one empty cell), against the
  // documented rule that ties go to fewer empty cells first. 1200×900 with square tiles: both 300 px.
  test('a tie goes to fewer empty cells before fewer columns', () => {
    expect(gridShape(7, 1200, 900, 1)).toEqual({ columns: 4, rows: 2 });
  });

  test.each([
    { width: 0, height: 0 },
    { width: 0, height: 900 },
    { width: 1600, height: 0 },
    { width: Number.NaN, height: 900 },
    { width: 1600, height: Number.NaN },
    { width: -5, height: 900 },
  ])('an unmeasured stage ($width×$height) still gets a near-square shape', ({ width, height }) => {
    expect(gridShape(1, width, height)).toEqual({ columns: 1, rows: 1 });
    expect(gridShape(4, width, height)).toEqual({ columns: 2, rows: 2 });
    expect(gridShape(5, width, height)).toEqual({ columns: 3, rows: 2 });
    expect(gridShape(6, width, height)).toEqual({ columns: 3, rows: 2 });
  });

  test.each([0, -3, 0.5])('a count of %s is treated as one tile', (count) => {
    expect(gridShape(count, 1600, 900)).toEqual({ columns: 1, rows: 1 });
  });

  test('every tile has a cell and no row is left empty, for any count and stage', () => {
    const size = fc.oneof(
      fc.double({ min: 1, max: 10_000, noNaN: true }),
      fc.constantFrom(0, Number.NaN, -1),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        size,
        size,
        fc.double({ min: 0.25, max: 4, noNaN: true }),
        (count, width, height, aspect) => {
          const { columns, rows } = gridShape(count, width, height, aspect);
          expect(Number.isInteger(columns) && Number.isInteger(rows)).toBe(true);
          expect(columns).toBeGreaterThanOrEqual(1);
          expect(rows).toBeGreaterThanOrEqual(1);
          expect(columns * rows).toBeGreaterThanOrEqual(count);
          expect(columns * rows - count).toBeLessThan(columns);
        },
      ),
    );
  });

  test('no other shape gives bigger tiles', () => {
    const tile = (count: number, columns: number, width: number, height: number, aspect: number) => {
      const tileWidth = Math.min(width / columns, (height / Math.ceil(count / columns)) * aspect);
      return tileWidth * (tileWidth / aspect);
    };
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.double({ min: 1, max: 10_000, noNaN: true }),
        fc.double({ min: 1, max: 10_000, noNaN: true }),
        fc.double({ min: 0.25, max: 4, noNaN: true }),
        (count, width, height, aspect) => {
          const chosen = tile(count, gridShape(count, width, height, aspect).columns, width, height, aspect);
          for (let columns = 1; columns <= count; columns++)
            expect(tile(count, columns, width, height, aspect)).toBeLessThanOrEqual(chosen * 1.001);
        },
      ),
    );
  });
});
