// worker.js — assay's long-lived JavaScript worker (src/score/code_worker.c
// starts one `node` per run on first use).  Requests arrive on stdin and
// replies leave on fd 3, each a 4-byte big-endian length then JSON, one at a
// time; whatever the user's code prints goes to stderr, never into replies.
//
// A request: {code, file, fn, output, context, kind}.  `code` is an inline
// assertion or transform, turned into a function body as promptfoo does:
// trailing whitespace dropped; several lines are the body as written; one
// line that starts with const/let/var gets `return` before the expression
// after its last top-level `;`; any other line is `return <line>`.  `file` is
// a path (require()d once and cached) whose export, or export `fn`, is called.
// Either is called as f(output, context); a promise is awaited.
// The reply: {ok: true, result} or {ok: false, error, stack}.
//
// kind "provider" ({file, fn, prompt, options, context}) is a promptfoo
// JavaScript provider: the module's export (or export `fn`, or `default`)
// is a class with callApi — constructed once per file and options with
// `new Cls(options)` — or an object with callApi, or a function; called as
// callApi(prompt, context) / f(prompt, context), a promise awaited.
'use strict';
const fs = require('fs');
const out = 3;
const fnCache = new Map();
const modCache = new Map();

function lastTopLevelSemicolon(s) {
	let depth = 0, last = -1, q = null;
	for (let i = 0; i < s.length; i++) {
		const c = s[i];
		if (q) {
			if (c === '\\') i++;
			else if (c === q) q = null;
			continue;
		}
		if (c === '"' || c === "'" || c === '`') q = c;
		else if ('([{'.includes(c)) depth++;
		else if (')]}'.includes(c)) depth--;
		else if (c === ';' && depth === 0) last = i;
	}
	return last;
}

function body(code) {
	code = code.replace(/\s+$/, '');
	if (code.includes('\n')) return code;
	const t = code.trim().replace(/;+\s*$/, '');
	if (/^(const|let|var)\s/.test(t)) {
		const i = lastTopLevelSemicolon(t);
		if (i >= 0 && t.slice(i + 1).trim()) return t.slice(0, i + 1) + ' return ' + t.slice(i + 1).trim();
		return t;
	}
	return 'return ' + t;
}

function resolve(req) {
	if (req.file) {
		let mod = modCache.get(req.file);
		if (!mod) { mod = require(req.file); modCache.set(req.file, mod); }
		let f = req.fn ? mod[req.fn] : (typeof mod === 'function' ? mod : mod.default);
		if (typeof f !== 'function')
			throw new Error(`${req.file} exports no function${req.fn ? ' named ' + req.fn : ''}`);
		return f;
	}
	let f = fnCache.get(req.code);
	if (!f) {
		f = new Function('output', 'context', body(req.code));
		fnCache.set(req.code, f);
	}
	return f;
}

function send(obj) {
	let text;
	try { text = JSON.stringify(obj); } catch (e) { text = JSON.stringify({ ok: false, error: 'the result is not JSON-serialisable: ' + e.message }); }
	if (text === undefined) text = JSON.stringify({ ok: true, result: null });
	const b = Buffer.from(text, 'utf8');
	const h = Buffer.alloc(4);
	h.writeUInt32BE(b.length, 0);
	fs.writeSync(out, h);
	let off = 0;
	while (off < b.length) off += fs.writeSync(out, b, off);
}

const instCache = new Map();

function provider(req) {
	let mod = modCache.get(req.file);
	if (!mod) { mod = require(req.file); modCache.set(req.file, mod); }
	const t = req.fn ? mod[req.fn] : (mod && mod.default !== undefined && typeof mod !== 'function' ? mod.default : mod);
	if (typeof t === 'function' && t.prototype && typeof t.prototype.callApi === 'function') {
		const key = req.file + '\0' + (req.fn || '') + '\0' + JSON.stringify(req.options || {});
		let inst = instCache.get(key);
		if (!inst) { inst = new t(req.options || {}); instCache.set(key, inst); }
		return (prompt, context) => inst.callApi(prompt, context);
	}
	if (t && typeof t.callApi === 'function') return (prompt, context) => t.callApi(prompt, context);
	if (typeof t === 'function') return t;
	throw new Error(`${req.file} exports no provider${req.fn ? ' named ' + req.fn : ''} (expected a class with callApi, an object with callApi, or a function)`);
}

async function handle(req) {
	try {
		const r = req.kind === 'provider'
			? await provider(req)(req.prompt, req.context || {})
			: await resolve(req)(req.output, req.context || {});
		send({ ok: true, result: r === undefined ? null : r, type: typeof r });
	} catch (e) {
		send({ ok: false, error: e && e.message !== undefined ? String(e.message) : String(e), stack: e && e.stack ? String(e.stack) : '' });
	}
}

send({ ready: true });  // code_worker.c: start-up is not part of a call's limit
let buf = Buffer.alloc(0);
let busy = Promise.resolve();
process.stdin.on('data', (chunk) => {
	buf = Buffer.concat([buf, chunk]);
	while (buf.length >= 4) {
		const n = buf.readUInt32BE(0);
		if (buf.length < 4 + n) break;
		const req = JSON.parse(buf.subarray(4, 4 + n).toString('utf8'));
		buf = buf.subarray(4 + n);
		busy = busy.then(() => handle(req));
	}
});
process.stdin.on('end', () => busy.then(() => process.exit(0)));
