// Decoder of the visualization stream of `feagi-npu serve` (and FEAGI):
// one FeagiByteContainer v4 per message holding cortical-mapped XYZP structs
// (type 11). All integers are little-endian.
//
//   container: [4] [u16 counter] [u8 S structs] [48-byte agent id] [S x u32 struct length] structs
//   XYZP:      [11] [1] [u16 C areas] C x ([8-byte cortical id] [u32 data offset from struct start] [u32 data bytes])
//              then per area x[N] u32, y[N] u32, z[N] u32, p[N] f32
//
// Every length is checked against the bytes received; a bad message throws
// an Error naming what is wrong.

const HEADER = 52; // version, counter, struct count, agent id
const LITTLE = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function b64(bytes) {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return btoa(s);
}

// A column of n 32-bit values at byte offset `at`: a view when the offset is
// aligned (the server's frames always are), a copy otherwise.
function column(buffer, at, n, Kind) {
  if (LITTLE && at % 4 === 0) return new Kind(buffer, at, n);
  const dv = new DataView(buffer, at, n * 4);
  const out = new Kind(n);
  const f = Kind === Float32Array;
  for (let i = 0; i < n; i++) out[i] = f ? dv.getFloat32(i * 4, true) : dv.getUint32(i * 4, true);
  return out;
}

// Decodes one container. Returns {counter, areas: [{id, x, y, z, p, n}]}
// where id is the area's 8-byte cortical id in base64 (the key of the REST
// geometry map) and x, y, z (Uint32Array), p (Float32Array) its neurons.
export function decodeFrame(buffer) {
  if (!(buffer instanceof ArrayBuffer)) throw new Error("frame is not binary");
  const total = buffer.byteLength;
  if (total < HEADER) throw new Error(`truncated container header (${total} bytes)`);
  const dv = new DataView(buffer);
  const version = dv.getUint8(0);
  if (version !== 4) throw new Error(`container version ${version}, expected 4`);
  const counter = dv.getUint16(1, true);
  const structs = dv.getUint8(3);
  let at = HEADER + 4 * structs;
  if (at > total) throw new Error("truncated struct length table");
  const areas = [];
  for (let s = 0; s < structs; s++) {
    const len = dv.getUint32(HEADER + 4 * s, true);
    const start = at;
    const end = start + len;
    if (end > total) throw new Error(`struct ${s} runs past the message (${end} > ${total})`);
    at = end;
    if (len < 4) throw new Error(`struct ${s} is ${len} bytes`);
    const kind = dv.getUint8(start);
    const ver = dv.getUint8(start + 1);
    if (kind !== 11 || ver !== 1) continue; // not neuron data: skipped
    const count = dv.getUint16(start + 2, true);
    if (4 + 16 * count > len) throw new Error(`XYZP struct ${s}: ${count} area headers do not fit`);
    for (let a = 0; a < count; a++) {
      const h = start + 4 + 16 * a;
      const id = b64(new Uint8Array(buffer, h, 8));
      const offset = dv.getUint32(h + 8, true);
      const bytes = dv.getUint32(h + 12, true);
      if (bytes % 16 !== 0) throw new Error(`area ${id}: ${bytes} data bytes is not 16 per neuron`);
      if (offset + bytes > len) throw new Error(`area ${id}: data past the struct`);
      const n = bytes / 16;
      const base = start + offset;
      areas.push({
        id,
        n,
        x: column(buffer, base, n, Uint32Array),
        y: column(buffer, base + 4 * n, n, Uint32Array),
        z: column(buffer, base + 8 * n, n, Uint32Array),
        p: column(buffer, base + 12 * n, n, Float32Array),
      });
    }
  }
  if (at !== total) throw new Error(`${total - at} bytes after the last struct`);
  return { counter, areas };
}
