/** All file-system syscall rows, for table.ts. */
import { fsAttrRows } from './fs-attr';
import { fsDirRows } from './fs-dir';
import { fsIoRows } from './fs-io';
import { fsOpenRows } from './fs-open';
import { fsStatRows } from './fs-stat';
import { lockRows } from './locks';
import { FamilyRows } from './rows';

export const fsRows: FamilyRows = { ...fsIoRows, ...fsOpenRows, ...fsStatRows, ...fsDirRows, ...fsAttrRows, ...lockRows };
