/* report.js — the HTML report's one script (compiled into assay; the page's
 * Content-Security-Policy allows it by hash and nothing else).
 * Renders the per-case table from the JSON block #assay-data one page at a
 * time, with filters whose state lives in the URL fragment
 * (#failing=1&dis=1&jr=1&tag=T&cand=C&q=TEXT&page=N), so a filtered view can
 * be bookmarked and shared.  Every text from the run is untrusted: it is
 * written with textContent only, never parsed as markup. */
(function () {
	'use strict';
	var data = JSON.parse(document.getElementById('assay-data').textContent);
	var PAGE = 50;
	var $ = function (id) { return document.getElementById(id); };
	var el = function (tag, cls, text) {
		var e = document.createElement(tag);
		if (cls) e.className = cls;
		if (text !== undefined && text !== null) e.textContent = String(text);
		return e;
	};
	var state = { failing: false, dis: false, jr: false, tag: '', cand: '', q: '', page: 0 };

	function readHash() {
		var h = location.hash.replace(/^#/, '');
		h.split('&').forEach(function (kv) {
			if (!kv) return;
			var i = kv.indexOf('='), k = decodeURIComponent(i < 0 ? kv : kv.slice(0, i));
			var v = i < 0 ? '' : decodeURIComponent(kv.slice(i + 1).replace(/\+/g, ' '));
			if (k === 'failing' || k === 'dis' || k === 'jr') state[k] = v === '1';
			else if (k === 'tag' || k === 'cand' || k === 'q') state[k] = v;
			else if (k === 'page') state.page = Math.max(0, parseInt(v, 10) || 0);
		});
	}
	function writeHash() {
		var parts = [];
		['failing', 'dis', 'jr'].forEach(function (k) { if (state[k]) parts.push(k + '=1'); });
		['tag', 'cand', 'q'].forEach(function (k) {
			if (state[k]) parts.push(k + '=' + encodeURIComponent(state[k]));
		});
		if (state.page) parts.push('page=' + state.page);
		history.replaceState(null, '', parts.length ? '#' + parts.join('&') : location.pathname + location.search);
	}

	var keys = data.keys || [];
	var cols = data.cols || [];
	var rows = data.rows || [];
	var tags = {};
	rows.forEach(function (r) {
		(r.t || []).forEach(function (t) { tags[t] = true; });
		var hay = [r.d || '', JSON.stringify(r.v || {})];
		keys.forEach(function (k) { var c = r.c[k]; if (c) hay.push(c.o || '', c.e || ''); });
		r._hay = hay.join('\n').toLowerCase();
	});

	function cellState(c) {
		if (!c) return 'none';
		if (c.e) return 'error';
		if (c.p === true) return 'pass';
		if (c.p === false) return 'fail';
		return 'none';
	}
	function visibleKeys() {
		if (!state.cand) return keys;
		var i = cols.indexOf(state.cand);
		return i < 0 ? keys : [keys[i]];
	}
	function matches(r) {
		var ks = visibleKeys();
		if (state.tag && (r.t || []).indexOf(state.tag) < 0) return false;
		if (state.failing && !ks.some(function (k) { return cellState(r.c[k]) === 'fail'; })) return false;
		if (state.dis) {
			var seen = {};
			keys.forEach(function (k) { var s = cellState(r.c[k]); if (s === 'pass' || s === 'fail') seen[s] = 1; });
			if (!(seen.pass && seen.fail)) return false;
		}
		if (state.jr && !ks.some(function (k) { return r.c[k] && r.c[k].jr; })) return false;
		if (state.q && r._hay.indexOf(state.q.toLowerCase()) < 0) return false;
		return true;
	}

	function renderCell(td, c) {
		var s = cellState(c);
		td.className = s;
		if (!c) { td.appendChild(el('span', 'fig', 'no result')); return; }
		td.appendChild(el('div', 'badge', s === 'none' ? 'not graded' : s));
		td.appendChild(el('pre', null, c.e ? c.e : (c.o === null ? '(no output)' : c.o)));
		var fig = [];
		if (typeof c.s === 'number') fig.push('score ' + c.s.toFixed(2));
		if (typeof c.l === 'number') fig.push(c.l + ' ms');
		if (typeof c.$ === 'number') fig.push('$' + c.$.toPrecision(3));
		if (fig.length) td.appendChild(el('div', 'fig', fig.join(' · ')));
		if (c.a && c.a.length) {
			var d = el('details'), ul = el('ul');
			d.appendChild(el('summary', null, c.a.length + ' assertion' + (c.a.length > 1 ? 's' : '')));
			c.a.forEach(function (a) {
				ul.appendChild(el('li', a[1] === true ? 'ok' : a[1] === false ? 'no' : '',
					(a[1] === true ? '✓ ' : a[1] === false ? '✗ ' : '? ') + (a[0] || '') + (a[2] ? ': ' + a[2] : '')));
			});
			d.appendChild(ul);
			td.appendChild(d);
		}
	}

	function render() {
		var ks = visibleKeys();
		var thead = document.querySelector('#case-table thead');
		var tbody = document.querySelector('#case-table tbody');
		thead.textContent = '';
		tbody.textContent = '';
		var hr = el('tr');
		hr.appendChild(el('th', null, 'case'));
		ks.forEach(function (k) { hr.appendChild(el('th', null, cols[keys.indexOf(k)])); });
		thead.appendChild(hr);
		var shown = rows.filter(matches);
		var pages = Math.max(1, Math.ceil(shown.length / PAGE));
		if (state.page >= pages) state.page = pages - 1;
		shown.slice(state.page * PAGE, state.page * PAGE + PAGE).forEach(function (r) {
			var tr = el('tr');
			tr.setAttribute('data-case', r.i);
			var td = el('td');
			td.appendChild(el('strong', null, (r.d || 'case ' + r.i) + (r.rep ? ' (repeat ' + r.rep + ')' : '')));
			td.appendChild(el('pre', null, JSON.stringify(r.v || {}, null, 1)));
			if (r.t && r.t.length) td.appendChild(el('div', 'fig', 'tags: ' + r.t.join(', ')));
			tr.appendChild(td);
			ks.forEach(function (k) { var c = el('td'); renderCell(c, r.c[k]); tr.appendChild(c); });
			tbody.appendChild(tr);
		});
		$('f-count').textContent = shown.length + ' of ' + rows.length + ' cases';
		$('page').textContent = 'page ' + (state.page + 1) + ' of ' + pages;
		$('prev').disabled = state.page === 0;
		$('next').disabled = state.page >= pages - 1;
		writeHash();
	}

	function fill(select, values) {
		values.forEach(function (v) { var o = el('option', null, v); o.value = v; select.appendChild(o); });
	}
	fill($('f-tag'), Object.keys(tags).sort());
	fill($('f-cand'), cols);
	readHash();
	function sync() {
		$('f-failing').checked = state.failing;
		$('f-dis').checked = state.dis;
		$('f-jr').checked = state.jr;
		$('f-tag').value = state.tag;
		$('f-cand').value = state.cand;
		$('f-q').value = state.q;
	}
	sync();
	function on(id, ev, f) { $(id).addEventListener(ev, function () { f(); state.page = 0; render(); }); }
	on('f-failing', 'change', function () { state.failing = $('f-failing').checked; });
	on('f-dis', 'change', function () { state.dis = $('f-dis').checked; });
	on('f-jr', 'change', function () { state.jr = $('f-jr').checked; });
	on('f-tag', 'change', function () { state.tag = $('f-tag').value; });
	on('f-cand', 'change', function () { state.cand = $('f-cand').value; });
	on('f-q', 'input', function () { state.q = $('f-q').value; });
	$('prev').addEventListener('click', function () { state.page--; render(); });
	$('next').addEventListener('click', function () { state.page++; render(); });
	window.addEventListener('hashchange', function () { readHash(); sync(); render(); });
	render();
	document.body.setAttribute('data-ready', '1');
})();
