/* app.js — the one script of assay view (compiled into assay; the page's
 * Content-Security-Policy allows only this file).  A hash-routed
 * single-page app over the JSON API (docs/view.md):
 *   #/                      runs, and two runs to compare
 *   #/run/ID                the run page: candidates, people's ratings, charts
 *   #/run/ID/cases?…        the cases × candidates matrix (filters in the hash)
 *   #/run/ID/case/C/R       one case: every output, assertions, grading
 *   #/run/ID/review?…       the review queue (keys 1–5 y n j k enter)
 *   #/run/ID/pairs?…        blind pairwise review (keys a b t enter)
 *   #/compare?base=A&new=B  two runs compared case by case
 * Every text from the server is untrusted: it is written with textContent
 * only; links are built from numbers; nothing is parsed as markup. */
(function () {
	'use strict';
	var app = document.getElementById('app');
	var csrf = null;
	var keyHandler = null;

	function el(tag, cls, text) {
		var e = document.createElement(tag);
		if (cls) e.className = cls;
		if (text !== undefined && text !== null) e.textContent = String(text);
		return e;
	}
	function add(parent, child) { parent.appendChild(child); return child; }
	function link(href, text) { var a = el('a', null, text); a.href = href; return a; }
	function pct(v) { return typeof v === 'number' ? (100 * v).toFixed(1) + '%' : '—'; }
	function fmt(v, d) { return typeof v === 'number' ? v.toFixed(d) : '—'; }
	function reviewer() { return document.getElementById('reviewer').value.trim(); }
	function qs(o) {
		var p = [];
		Object.keys(o).forEach(function (k) {
			if (o[k] !== '' && o[k] !== null && o[k] !== undefined && o[k] !== false)
				p.push(encodeURIComponent(k) + '=' + encodeURIComponent(o[k] === true ? 1 : o[k]));
		});
		return p.join('&');
	}
	function parseQuery(s) {
		var o = {};
		(s || '').split('&').forEach(function (kv) {
			if (!kv) return;
			var i = kv.indexOf('=');
			o[decodeURIComponent(i < 0 ? kv : kv.slice(0, i))] =
				i < 0 ? '1' : decodeURIComponent(kv.slice(i + 1));
		});
		return o;
	}
	function api(path) {
		return fetch(path, { credentials: 'same-origin' }).then(function (r) {
			return r.json().then(function (j) {
				if (!r.ok) throw new Error(j && j.error ? j.error : 'HTTP ' + r.status);
				return j;
			});
		});
	}
	function post(path, body) {
		return fetch(path, {
			method: 'POST', credentials: 'same-origin',
			headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
			body: JSON.stringify(body)
		}).then(function (r) {
			return r.json().then(function (j) {
				if (!r.ok) throw new Error(j && j.error ? j.error : 'HTTP ' + r.status);
				return j;
			});
		});
	}
	function clear() {
		app.textContent = '';
		keyHandler = null;
		document.body.removeAttribute('data-ready');
	}
	function ready() { document.body.setAttribute('data-ready', '1'); }
	function fail(e) {
		add(app, el('p', 'error-msg', String(e && e.message ? e.message : e)));
		ready();
	}
	function crumbs(runId) {
		var c = document.getElementById('crumbs');
		c.textContent = '';
		if (!runId) return;
		add(c, link('#/run/' + runId, 'run ' + runId));
		add(c, link('#/run/' + runId + '/cases', 'cases'));
		add(c, link('#/run/' + runId + '/review', 'review'));
		add(c, link('#/run/' + runId + '/pairs', 'blind pairs'));
	}
	function needReviewer() {
		if (reviewer()) return false;
		add(app, el('p', 'error-msg', 'Enter your name as reviewer (top right) first: every grade is stored with it.'));
		document.getElementById('reviewer').focus();
		ready();
		return true;
	}

	/* ---------------------------------------------------------- runs */
	function pageRuns() {
		crumbs(null);
		api('/api/runs').then(function (d) {
			add(app, el('h1', null, 'Runs'));
			var t = add(app, el('table', 'list'));
			t.id = 'runs';
			var h = add(t, el('tr'));
			['run', 'when', 'description', 'status', 'results', 'errors'].forEach(function (s) { add(h, el('th', null, s)); });
			d.runs.forEach(function (r) {
				var tr = add(t, el('tr'));
				add(add(tr, el('td')), link('#/run/' + r.id, '#' + r.id + (r.label ? ' ' + r.label : '')));
				add(tr, el('td', null, r.created_at));
				add(tr, el('td', null, r.description || ''));
				add(tr, el('td', null, r.status));
				add(tr, el('td', null, r.n_results));
				add(tr, el('td', null, r.n_errors));
			});
			if (d.runs.length > 1) {
				add(app, el('h2', null, 'Compare two runs'));
				var f = add(app, el('div', 'filters'));
				var b = add(f, el('select')), n = add(f, el('select'));
				b.id = 'cmp-base'; n.id = 'cmp-new';
				d.runs.forEach(function (r, i) {
					var o1 = add(b, el('option', null, '#' + r.id)); o1.value = r.id;
					var o2 = add(n, el('option', null, '#' + r.id)); o2.value = r.id;
					if (i === 1) o1.selected = true;
					if (i === 0) o2.selected = true;
				});
				var go = add(f, el('button', null, 'compare'));
				go.id = 'cmp-go';
				go.addEventListener('click', function () {
					location.hash = '#/compare?' + qs({ base: b.value, new: n.value });
				});
			}
			ready();
		}).catch(fail);
	}

	/* ---------------------------------------------------------- run page */
	function pageRun(id) {
		crumbs(id);
		api('/api/runs/' + id).then(function (d) {
			add(app, el('h1', null, d.run.description || 'run ' + id));
			add(app, el('p', 'meta', 'run ' + id + ' · ' + d.run.created_at + ' · ' + d.run.status + ' · ' +
				d.run.n_results + ' results, ' + d.run.n_errors + ' errors'));
			var tabs = add(app, el('p', 'tabs'));
			add(tabs, link('#/run/' + id + '/cases', 'Cases'));
			add(tabs, link('#/run/' + id + '/cases?failing=1', 'Failing cases'));
			add(tabs, link('#/run/' + id + '/review', 'Grade outputs'));
			add(tabs, link('#/run/' + id + '/pairs', 'Blind pairwise review'));
			add(app, el('h2', null, 'Candidates'));
			var t = add(app, el('table', 'list'));
			t.id = 'cands';
			var h = add(t, el('tr'));
			['candidate', 'prompt', 'pass rate', '95% Wilson', 'passed', 'failed', 'errors', 'p50 ms', 'p95 ms', 'cost $',
				'people: ratings', 'mean rating', 'would show'].forEach(function (s) { add(h, el('th', null, s)); });
			var human = {};
			d.human.forEach(function (x) { human[x.provider_idx] = x; });
			d.candidates.forEach(function (c) {
				var tr = add(t, el('tr')), hu = human[c.provider_idx] || {};
				[c.label, c.prompt, pct(c.pass_rate), pct(c.ci_lo) + ' – ' + pct(c.ci_hi), c.passes, c.fails, c.errors,
					fmt(c.p50_ms, 0), fmt(c.p95_ms, 0), fmt(c.cost_usd, 4), hu.n || 0, fmt(hu.mean, 2),
					hu.answers ? hu.ships + ' of ' + hu.answers : '—'].forEach(function (v) { add(tr, el('td', null, v)); });
			});
			add(app, el('h2', null, 'Charts'));
			var f = add(app, el('iframe', 'charts'));
			f.title = 'charts of run ' + id;
			f.addEventListener('load', function () {
				try { f.height = String(f.contentDocument.documentElement.scrollHeight + 20); } catch (e) { /* not same-origin */ }
			});
			f.src = '/charts/' + id;
			ready();
		}).catch(fail);
	}

	/* ---------------------------------------------------------- matrix */
	function cellState(c) {
		if (!c) return 'none';
		if (c.error) return 'error';
		return c.pass === true ? 'pass' : c.pass === false ? 'fail' : 'none';
	}
	function pageCases(id, q) {
		crumbs(id);
		var PAGE = 50;
		var st = { failing: q.failing === '1', jr: q.jr === '1', tag: q.tag || '', cand: q.cand || '',
			q: q.q || '', page: Math.max(0, parseInt(q.page, 10) || 0) };
		api('/api/runs/' + id).then(function (run) {
			add(app, el('h1', null, 'Cases of run ' + id));
			var f = add(app, el('div', 'filters'));
			function box(key, label) {
				var l = add(f, el('label')), i = add(l, el('input'));
				i.type = 'checkbox'; i.id = 'f-' + key; i.checked = st[key];
				add(l, document.createTextNode(' ' + label));
				i.addEventListener('change', function () { st[key] = i.checked; st.page = 0; go(); });
			}
			box('failing', 'failing only');
			box('jr', 'judge and rules disagree');
			function sel(key, label, opts) {
				var l = add(f, el('label', null, label + ' ')), s = add(l, el('select'));
				s.id = 'f-' + key;
				opts.forEach(function (o) { var e = add(s, el('option', null, o[1])); e.value = o[0]; });
				s.value = st[key];
				s.addEventListener('change', function () { st[key] = s.value; st.page = 0; go(); });
			}
			sel('tag', 'tag', [['', 'any']].concat(run.tags.map(function (t) { return [t, t]; })));
			sel('cand', 'candidate', [['', 'all']].concat(run.providers.map(function (p) { return [String(p.idx), p.label]; })));
			var s = add(f, el('input'));
			s.type = 'search'; s.id = 'f-q'; s.placeholder = 'search inputs and outputs'; s.value = st.q;
			var timer = null;
			s.addEventListener('input', function () {
				clearTimeout(timer);
				timer = setTimeout(function () { st.q = s.value; st.page = 0; go(); }, 200);
			});
			var count = add(f, el('span'));
			count.id = 'f-count';
			var table = add(app, el('table'));
			table.id = 'matrix';
			var pager = add(app, el('div'));
			pager.id = 'pager';
			var prev = add(pager, el('button', null, '◀ previous')), page = add(pager, el('span')),
				next = add(pager, el('button', null, 'next ▶'));
			prev.id = 'prev'; next.id = 'next'; page.id = 'page';
			prev.addEventListener('click', function () { st.page--; go(); });
			next.addEventListener('click', function () { st.page++; go(); });
			var names = {};
			run.providers.forEach(function (p) { names[p.idx] = p.label; });
			function go() {
				var h = '#/run/' + id + '/cases?' + qs({ failing: st.failing, jr: st.jr, tag: st.tag,
					cand: st.cand, q: st.q, page: st.page || '' });
				history.replaceState(null, '', h);
				document.body.removeAttribute('data-ready');
				api('/api/runs/' + id + '/matrix?' + qs({ failing: st.failing, jr: st.jr, tag: st.tag,
					cand: st.cand, q: st.q, offset: st.page * PAGE, limit: PAGE })).then(function (m) {
					table.textContent = '';
					var cols = st.cand !== '' ? [parseInt(st.cand, 10)] : run.providers.map(function (p) { return p.idx; });
					var hr = add(add(table, el('thead')), el('tr'));
					add(hr, el('th', null, 'case'));
					cols.forEach(function (c) { add(hr, el('th', null, names[c])); });
					var body = add(table, el('tbody'));
					m.rows.forEach(function (r) {
						var tr = add(body, el('tr'));
						tr.setAttribute('data-case', r.case_idx);
						var td = add(tr, el('td'));
						add(add(td, el('strong')), link('#/run/' + id + '/case/' + r.case_idx + '/' + r.repeat,
							(r.description || 'case ' + r.case_idx) + (r.repeat ? ' (repeat ' + r.repeat + ')' : '')));
						add(td, el('pre', null, r.vars));
						if (r.tags && r.tags.length) add(td, el('div', 'fig', 'tags: ' + r.tags.join(', ')));
						cols.forEach(function (ci) {
							var cell = null;
							(r.cells || []).forEach(function (c) { if (c.provider_idx === ci && !cell) cell = c; });
							var s2 = cellState(cell), c2 = add(tr, el('td', s2));
							if (!cell) { add(c2, el('span', 'fig', 'no result')); return; }
							add(c2, el('div', 'badge', s2 === 'none' ? 'not graded' : s2));
							add(c2, el('pre', null, cell.error || (cell.output === null ? '(no output)' : cell.output + (cell.cut ? ' …' : ''))));
							var fig = [];
							if (typeof cell.latency_ms === 'number') fig.push(Math.round(cell.latency_ms) + ' ms');
							if (cell.judge_rules) fig.push('judge ≠ rules');
							if (cell.n_ratings) fig.push(cell.n_ratings + ' rating(s), mean ' + fmt(cell.mean_rating, 1));
							if (fig.length) add(c2, el('div', 'fig', fig.join(' · ')));
						});
					});
					var pages = Math.max(1, Math.ceil(m.total / PAGE));
					count.textContent = m.total + ' cases';
					page.textContent = 'page ' + (st.page + 1) + ' of ' + pages;
					prev.disabled = st.page === 0;
					next.disabled = st.page >= pages - 1;
					ready();
				}).catch(fail);
			}
			go();
		}).catch(fail);
	}

	/* ---------------------------------------------------------- grading */
	/* A grade form for one result; calls done() after a save. */
	function gradeForm(parent, res, done) {
		var mine = null;
		(res.grades || []).forEach(function (g) { if (g.kind === 'rating' && g.reviewer === reviewer()) mine = g; });
		var g = { rating: mine ? mine.rating : null, ship: mine ? mine.ship : null };
		var box = add(parent, el('div', 'grade'));
		var rate = add(box, el('div', 'rate', 'rating '));
		var btn = {};
		[1, 2, 3, 4, 5].forEach(function (n) {
			var b = add(rate, el('button', null, n));
			b.type = 'button'; b.id = 'rv-r' + n;
			b.addEventListener('click', function () { set('rating', n); });
			btn['r' + n] = b;
		});
		var ship = add(box, el('div', 'ship', 'would you show this to a user? '));
		[['y', true, 'yes'], ['n', false, 'no']].forEach(function (x) {
			var b = add(ship, el('button', null, x[2]));
			b.type = 'button'; b.id = 'rv-ship-' + x[0];
			b.addEventListener('click', function () { set('ship', x[1]); });
			btn[x[0]] = b;
		});
		var note = add(box, el('textarea'));
		note.id = 'rv-note'; note.rows = 2; note.maxLength = 10000; note.placeholder = 'note (optional)';
		note.value = mine && mine.note ? mine.note : '';
		var row = add(box, el('div'));
		var save = add(row, el('button', null, 'save (enter)'));
		save.type = 'button'; save.id = 'rv-save';
		var status = add(row, el('span', 'fig', mine ? ' graded by you' : ''));
		status.id = 'rv-status';
		function paint() {
			[1, 2, 3, 4, 5].forEach(function (n) { btn['r' + n].classList.toggle('on', g.rating === n); });
			btn.y.classList.toggle('on', g.ship === true);
			btn.n.classList.toggle('on', g.ship === false);
		}
		function set(k, v) { g[k] = v; paint(); }
		function submit() {
			if (!reviewer()) { status.textContent = ' enter your name first'; return Promise.resolve(false); }
			if (g.rating === null && g.ship === null) { status.textContent = ' give a rating or yes/no first'; return Promise.resolve(false); }
			return post('/api/grades', { result_id: res.result_id, reviewer: reviewer(), rating: g.rating,
				ship: g.ship, note: note.value }).then(function () {
				status.textContent = ' saved';
				status.className = 'saved';
				if (done) done();
				return true;
			}).catch(function (e) { status.textContent = ' ' + e.message; status.className = 'error-msg'; return false; });
		}
		save.addEventListener('click', submit);
		paint();
		return { set: set, submit: submit, note: note };
	}

	function showResult(parent, res, title) {
		if (title) add(parent, el('h3', null, title));
		add(parent, el('pre', 'out', res.error || (res.output === null ? '(no output)' : res.output))).id = 'rv-output';
		var fig = [];
		if (res.pass === true) fig.push('rules: pass'); else if (res.pass === false) fig.push('rules: fail');
		if (res.judge_rules) fig.push('judge and rules disagree');
		if (typeof res.latency_ms === 'number') fig.push(Math.round(res.latency_ms) + ' ms');
		add(parent, el('div', 'fig', fig.join(' · ')));
		if (res.assertions && res.assertions.length) {
			var d = add(parent, el('details')), ul = el('ul');
			add(d, el('summary', null, res.assertions.length + ' assertion(s)'));
			res.assertions.forEach(function (a) {
				add(ul, el('li', a.pass ? 'ok' : 'no', (a.pass ? '✓ ' : '✗ ') + a.type + (a.reason ? ': ' + a.reason : '')));
			});
			add(d, ul);
		}
	}
	function showCase(parent, c) {
		add(parent, el('h2', null, c.description || 'case ' + c.case_idx));
		add(parent, el('pre', 'out', c.vars)).id = 'rv-case';
		if (c.tags && c.tags.length) add(parent, el('div', 'fig', 'tags: ' + c.tags.join(', ')));
	}

	function pageCase(id, ci, rep) {
		crumbs(id);
		api('/api/runs/' + id + '/cases/' + ci + '/' + rep).then(function (c) {
			showCase(app, c);
			var chain = Promise.resolve();
			c.cells.forEach(function (cell) {
				chain = chain.then(function () {
					return api('/api/results/' + cell.result_id).then(function (res) {
						var sec = add(app, el('section', 'result'));
						showResult(sec, res, res.provider + (res.prompt_label ? ' / ' + res.prompt_label : ''));
						gradeForm(sec, res, null);
					});
				});
			});
			chain.then(ready).catch(fail);
		}).catch(fail);
	}

	function pageReview(id, q) {
		crumbs(id);
		if (needReviewer()) return;
		var st = { failing: q.failing === '1', jr: q.jr === '1', ungraded: q.ungraded === '1',
			sample: q.sample || '', seed: q.seed || '1', cand: q.cand || '' };
		add(app, el('h1', null, 'Review queue of run ' + id));
		var f = add(app, el('div', 'filters'));
		function box(key, label) {
			var l = add(f, el('label')), i = add(l, el('input'));
			i.type = 'checkbox'; i.id = 'q-' + key; i.checked = st[key];
			add(l, document.createTextNode(' ' + label));
			i.addEventListener('change', function () { st[key] = i.checked; reload(); });
		}
		box('failing', 'failing');
		box('jr', 'judge and rules disagree');
		box('ungraded', 'not yet graded by me');
		var sl = add(f, el('label', null, 'random sample of ')), si = add(sl, el('input'));
		si.id = 'q-sample'; si.size = 5; si.value = st.sample; si.placeholder = 'all';
		var sd = add(f, el('label', null, 'seed ')), sdi = add(sd, el('input'));
		sdi.id = 'q-seed'; sdi.size = 5; sdi.value = st.seed;
		[si, sdi].forEach(function (i) { i.addEventListener('change', function () { st.sample = si.value; st.seed = sdi.value; reload(); }); });
		var prog = add(app, el('div'));
		var bar = add(prog, el('progress'));
		bar.id = 'rv-bar';
		var ptext = add(prog, el('span', 'fig'));
		ptext.id = 'rv-progress';
		var pos = add(prog, el('span', 'fig'));
		pos.id = 'rv-pos';
		var item = add(app, el('div', 'review'));
		item.id = 'rv-item';
		var items = [], at = 0, total = 0, graded = 0, form = null;
		function progress() {
			bar.max = Math.max(1, total); bar.value = graded;
			ptext.textContent = ' ' + graded + ' of ' + total + ' graded by you';
			pos.textContent = items.length ? ' · item ' + (at + 1) + ' of ' + items.length : '';
		}
		function show() {
			item.textContent = '';
			form = null;
			progress();
			if (!items.length) { add(item, el('p', null, 'Nothing to grade with these filters.')); ready(); return; }
			var it = items[at];
			document.body.removeAttribute('data-ready');
			api('/api/results/' + it.result_id).then(function (res) {
				item.setAttribute('data-result', res.result_id);
				showCase(item, res.case);
				showResult(item, res, res.provider);
				form = gradeForm(item, res, function () {
					if (!it.graded) { it.graded = true; graded++; }
					progress();
				});
				ready();
			}).catch(fail);
		}
		function move(d) {
			if (!items.length) return;
			at = Math.max(0, Math.min(items.length - 1, at + d));
			show();
		}
		function reload() {
			var h = '#/run/' + id + '/review?' + qs({ failing: st.failing, jr: st.jr, ungraded: st.ungraded,
				sample: st.sample, seed: st.seed, cand: st.cand });
			history.replaceState(null, '', h);
			api('/api/runs/' + id + '/queue?' + qs({ reviewer: reviewer(), failing: st.failing, jr: st.jr,
				ungraded: st.ungraded, sample: st.sample, seed: st.seed, cand: st.cand, limit: 1000 })).then(function (d) {
				items = d.items; total = d.total; graded = d.graded; at = 0;
				show();
			}).catch(fail);
		}
		keyHandler = function (e) {
			if (!form) return;
			if (e.key === 'Escape') { document.activeElement.blur(); return; }
			var t = e.target.tagName;
			if (t === 'INPUT' || t === 'TEXTAREA' || t === 'SELECT') {
				if (e.key === 'Enter' && t === 'TEXTAREA' && (e.ctrlKey || e.metaKey)) {
					e.preventDefault();
					form.submit().then(function (ok) { if (ok) move(1); });
				}
				return;
			}
			if (e.key >= '1' && e.key <= '5') form.set('rating', +e.key);
			else if (e.key === 'y') form.set('ship', true);
			else if (e.key === 'n') form.set('ship', false);
			else if (e.key === 'j') move(1);
			else if (e.key === 'k') move(-1);
			else if (e.key === 'c') { e.preventDefault(); form.note.focus(); }
			else if (e.key === 'Enter') {
				e.preventDefault();
				form.submit().then(function (ok) { if (ok && at < items.length - 1) move(1); });
			} else return;
			e.preventDefault();
		};
		reload();
	}

	/* ---------------------------------------------------------- blind pairs */
	function pagePairs(id, q) {
		crumbs(id);
		if (needReviewer()) return;
		add(app, el('h1', null, 'Blind pairwise review of run ' + id));
		add(app, el('p', 'note', 'Which answer is better for this case? The candidates are named only after you choose; sides are drawn at random.'));
		var prog = add(app, el('p', 'fig'));
		prog.id = 'pw-progress';
		var box = add(app, el('div'));
		box.id = 'pw-box';
		var cur = null, chosen = false;
		function load() {
			box.textContent = '';
			chosen = false;
			document.body.removeAttribute('data-ready');
			api('/api/runs/' + id + '/pair?' + qs({ reviewer: reviewer(), a: q.a || '', b: q.b || '', seed: q.seed || '' })).then(function (d) {
				prog.textContent = d.done + ' of ' + d.total + ' pairs judged by you';
				cur = d.pair;
				if (!cur) { add(box, el('p', null, 'No pair left for you.')); ready(); return; }
				box.setAttribute('data-left', cur.left.result_id);
				box.setAttribute('data-right', cur.right.result_id);
				showCase(box, cur.case);
				var pair = add(box, el('div', 'pair'));
				[['left', 'A'], ['right', 'B']].forEach(function (s) {
					var col = add(pair, el('div'));
					add(col, el('h3', null, 'Answer ' + s[1]));
					add(col, el('pre', 'out', cur[s[0]].output)).id = 'pw-' + s[0];
					add(col, el('p', 'fig', '')).id = 'pw-' + s[0] + '-name';
				});
				var pick = add(box, el('div', 'pick'));
				[['left', 'a', 'A is better'], ['tie', 't', 'tie'], ['right', 'b', 'B is better']].forEach(function (x) {
					var b = add(pick, el('button', null, x[2] + ' (' + x[1] + ')'));
					b.type = 'button'; b.id = 'pw-' + x[1];
					b.addEventListener('click', function () { choose(x[0]); });
				});
				var nx = add(pick, el('button', null, 'next pair (enter)'));
				nx.type = 'button'; nx.id = 'pw-next'; nx.disabled = true;
				nx.addEventListener('click', load);
				ready();
			}).catch(fail);
		}
		function choose(choice) {
			if (!cur || chosen) return;
			chosen = true;
			document.body.removeAttribute('data-ready');
			post('/api/pairwise', { left: cur.left.result_id, right: cur.right.result_id, choice: choice,
				reviewer: reviewer() }).then(function (d) {
				document.getElementById('pw-left-name').textContent = 'A was ' + d.left.provider;
				document.getElementById('pw-right-name').textContent = 'B was ' + d.right.provider;
				document.getElementById('pw-next').disabled = false;
				box.setAttribute('data-chosen', choice);
				ready();
			}).catch(function (e) { chosen = false; fail(e); });
		}
		keyHandler = function (e) {
			var t = e.target.tagName;
			if (t === 'INPUT' || t === 'TEXTAREA' || t === 'SELECT') return;
			if (e.key === 'a') choose('left');
			else if (e.key === 'b') choose('right');
			else if (e.key === 't') choose('tie');
			else if ((e.key === 'Enter' || e.key === 'j') && chosen) load();
			else return;
			e.preventDefault();
		};
		load();
	}

	/* ---------------------------------------------------------- compare */
	function pageCompare(q) {
		crumbs(null);
		api('/api/compare?' + qs({ base: q.base, new: q.new })).then(function (d) {
			add(app, el('h1', null, 'Run ' + d.new + ' against run ' + d.base));
			add(app, el('p', d.any_regression ? 'error-msg' : 'note', d.any_regression
				? 'A candidate is significantly worse (McNemar, Holm-adjusted).'
				: 'No candidate is significantly worse (McNemar, Holm-adjusted).'));
			d.candidates.forEach(function (c) {
				add(app, el('h2', null, c.label));
				add(app, el('p', null, 'pass rate ' + pct(c.base_rate) + ' → ' + pct(c.new_rate) + ' on ' + c.shared +
					' shared cases · ' + c.fixed + ' fixed, ' + c.regressed + ' regressed · p = ' + fmt(c.p, 4) +
					' (Holm ' + fmt(c.p_holm, 4) + ')' + (c.significant_regression ? ' · significant regression' : '') +
					(c.significant_improvement ? ' · significant improvement' : '')));
				var t = add(app, el('table', 'list changes'));
				c.changes.forEach(function (ch) {
					var tr = add(t, el('tr', ch.fixed ? 'fixed' : 'regressed'));
					add(tr, el('td', null, ch.fixed ? 'fixed' : 'regressed'));
					add(add(tr, el('td')), link('#/run/' + d.new + '/case/' + ch.new_case + '/0', ch.description || 'case ' + ch.new_case));
				});
			});
			ready();
		}).catch(fail);
	}

	/* ---------------------------------------------------------- router */
	function route() {
		clear();
		var h = location.hash.replace(/^#/, '') || '/';
		var qi = h.indexOf('?'), path = qi < 0 ? h : h.slice(0, qi), q = parseQuery(qi < 0 ? '' : h.slice(qi + 1));
		var m;
		if ((m = path.match(/^\/run\/(\d+)$/))) pageRun(m[1]);
		else if ((m = path.match(/^\/run\/(\d+)\/cases$/))) pageCases(m[1], q);
		else if ((m = path.match(/^\/run\/(\d+)\/case\/(\d+)\/(\d+)$/))) pageCase(m[1], m[2], m[3]);
		else if ((m = path.match(/^\/run\/(\d+)\/review$/))) pageReview(m[1], q);
		else if ((m = path.match(/^\/run\/(\d+)\/pairs$/))) pagePairs(m[1], q);
		else if (path === '/compare') pageCompare(q);
		else pageRuns();
	}
	document.addEventListener('keydown', function (e) { if (keyHandler) keyHandler(e); });
	var who = document.getElementById('reviewer');
	try { who.value = localStorage.getItem('assay.reviewer') || ''; } catch (e) { /* storage off */ }
	who.addEventListener('change', function () {
		try { localStorage.setItem('assay.reviewer', who.value.trim()); } catch (e) { /* storage off */ }
		route();
	});
	window.addEventListener('hashchange', route);
	api('/api/session').then(function (s) { csrf = s.csrf; route(); }).catch(fail);
})();
