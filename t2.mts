import { PGlite } from '@electric-sql/pglite';
let t=Date.now(); const p = await PGlite.create(); console.log('mem create', Date.now()-t);
t=Date.now(); const dump = await p.dumpDataDir('none'); console.log('dump', Date.now()-t, dump.size);
t=Date.now(); const p2 = await PGlite.create({ loadDataDir: dump }); console.log('load', Date.now()-t);
