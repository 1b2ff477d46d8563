/** Number formatting shared by the live view and the final report. */

const grouped = new Intl.NumberFormat('en-US');

export function count(value: number): string {
  return grouped.format(value);
}

/** Milliseconds with precision that fits the magnitude: 0.84, 12.3, 1234. */
export function ms(value: number): string {
  if (value < 10) return value.toFixed(2);
  if (value < 100) return value.toFixed(1);
  return Math.round(value).toString();
}

export function rate(value: number): string {
  return value < 100 ? value.toFixed(1) : grouped.format(Math.round(value));
}

export function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

/** Lays out rows as a table with the first column left-aligned and the others right-aligned. */
export function table(rows: string[][], indent = '  '): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, column) => {
      widths[column] = Math.max(widths[column] ?? 0, cell.length);
    });
  }

  return rows
    .map((row) => indent + row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  '))
    .join('\n');
}
