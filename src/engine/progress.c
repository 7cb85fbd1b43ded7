/* progress.c — progress bar and plain progress lines (see progress.h). */
#include "progress.h"
#include "../util/fsutil.h"
#include "../util/xalloc.h"

#include <stdlib.h>

struct progress {
	FILE *f;
	bool tty;
	long total, done, passes, fails, errors;
	double start_ms, last_draw_ms;
	int last_decile;
	char note[160];
};

void progress_note(struct progress *p, const char *note)
{
	if (!p)
		return;
	snprintf(p->note, sizeof p->note, "%s", note ? note : "");
}

struct progress *progress_new(FILE *f, bool tty, long total)
{
	struct progress *p = xcalloc(1, sizeof *p);
	p->f = f;
	p->tty = tty;
	p->total = total;
	p->start_ms = fs_mono_ms();
	p->last_draw_ms = -1e9;
	p->last_decile = 0;
	return p;
}

static void fmt_eta(char *out, size_t n, double sec)
{
	long s = sec < 0 ? 0 : (long)(sec + 0.5);
	if (s >= 3600)
		snprintf(out, n, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(out, n, "%ld:%02ld", s / 60, s % 60);
}

static void draw(struct progress *p, double now)
{
	double el = (now - p->start_ms) / 1000.0;
	double rate = el > 0 ? (double)p->done / el : 0;
	double pct = p->total ? 100.0 * (double)p->done / (double)p->total : 100;
	char eta[32];
	fmt_eta(eta, sizeof eta,
		rate > 0 ? (double)(p->total - p->done) / rate : 0);
	if (p->tty) {
		char bar[31];
		int w = (int)(pct * 30 / 100);
		for (int i = 0; i < 30; i++)
			bar[i] = i < w ? '#' : '-';
		bar[30] = '\0';
		fprintf(p->f,
			"\r\033[K[%s] %ld/%ld %3.0f%%  %.1f/s  ETA %s  "
			"pass %ld  fail %ld  err %ld%s%s",
			bar, p->done, p->total, pct, rate, eta, p->passes,
			p->fails, p->errors, p->note[0] ? "  " : "", p->note);
	} else {
		fprintf(p->f,
			"progress: %ld/%ld (%.0f%%) %.1f/s ETA %s pass %ld fail "
			"%ld err %ld%s%s\n",
			p->done, p->total, pct, rate, eta, p->passes, p->fails,
			p->errors, p->note[0] ? " — " : "", p->note);
	}
	fflush(p->f);
	p->last_draw_ms = now;
}

void progress_update(struct progress *p, long done, long passes, long fails,
		     long errors)
{
	double now;
	int decile;
	if (!p)
		return;
	p->done = done;
	p->passes = passes;
	p->fails = fails;
	p->errors = errors;
	now = fs_mono_ms();
	decile = p->total ? (int)(10 * done / p->total) : 10;
	if (p->tty ? now - p->last_draw_ms >= 100
		   : (now - p->last_draw_ms >= 5000 || decile > p->last_decile)) {
		p->last_decile = decile;
		draw(p, now);
	}
}

void progress_free(struct progress *p)
{
	if (!p)
		return;
	/* Plain lines: the last one may already show the final state. */
	if (p->tty || p->last_decile < 10 || p->done < p->total)
		draw(p, fs_mono_ms());
	if (p->tty)
		fputc('\n', p->f);
	free(p);
}
