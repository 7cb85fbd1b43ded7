/* settings.h — the user's defaults for every command: ASSAY_* environment
 * variables and an optional config file, $XDG_CONFIG_HOME/assay/config.yaml
 * (~/.config/assay/config.yaml when XDG_CONFIG_HOME is unset or empty).
 *
 *   setting       variable            config key    used by
 *   database      ASSAY_DB            db            every command's --db
 *   concurrency   ASSAY_CONCURRENCY   concurrency   run's -j
 *   judge         ASSAY_GRADER        grader        run's --grader
 *
 * Precedence, the same everywhere: a command-line flag, then the suite's
 * own setting where it has one (evaluateOptions.maxConcurrency), then the
 * variable, then the config file, then the built-in default.  A value
 * given but empty counts as not given.  In the file, `~/` starts a path in
 * $HOME; other relative paths are taken from the current directory, as a
 * flag's would be.
 *
 * The built-in database, one rule for every command (run and load write
 * it, the others read it): like git, the nearest directory holding an
 * `.assay/` directory, from the current directory upward, gives
 * DIR/.assay/assay.db; with none, `.assay/assay.db` here (which run
 * creates).  So `assay run sub/suite.yaml` and then `assay show latest`
 * meet in the same file, and `mkdir ~/.assay` gives one store for
 * everything under $HOME, as promptfoo's ~/.promptfoo does.  The search
 * does not go up into a directory listed in ASSAY_CEILING_DIRECTORIES
 * (colon-separated absolute paths, as GIT_CEILING_DIRECTORIES).
 *
 * Loaded once, on first use.  A config file that is not valid (YAML, an
 * unknown key, a wrong type) or a bad variable ends the command with a
 * message naming the file:line:col or the variable (exit status 1): a
 * setting silently ignored would send a run to the wrong database. */
#ifndef ASSAY_SETTINGS_H
#define ASSAY_SETTINGS_H

/* The database to use when --db is not given: ASSAY_DB or the config
 * file's `db`, else the built-in rule above (never NULL).  A database
 * found in a parent directory is named by its absolute path. */
const char *settings_db(void);

/* -j when not given: ASSAY_CONCURRENCY or `concurrency`, else 0 (none). */
int settings_concurrency(void);

/* --grader when not given: the config file's `grader`, or NULL — also
 * when ASSAY_GRADER is set, which engine/judges.c reads itself (and says
 * so), keeping the same precedence. */
const char *settings_grader(void);

/* The config file's path (whether or not it exists); for messages. */
const char *settings_file(void);

#endif
