/* score_judge_prompts.c — the default prompts of the model-graded types.
 *
 * Each is a system message; the user message (built in score_judge.c and
 * score_compare.c) holds the material in tagged sections such as
 * <Output>…</Output>.  Every prompt ends with the exact JSON object the
 * judge must reply with, which score_judge_parse reads; a rubricPrompt
 * replaces both messages and must ask for the same object. */
#include "score_int.h"
#include "score_judge_prompts.h"

#define ONLY_JSON "Reply with only a JSON object and nothing else: "

const char score_jp_rubric[] =
	"You grade the output of a language model against a rubric. Read "
	"the rubric as a statement about the output: the output passes when "
	"the statement holds for it. Judge only the output shown, not what "
	"it might have said. " ONLY_JSON
	"{\"reason\": \"<why, in one or two sentences>\", \"pass\": <true or "
	"false>, \"score\": <a number from 0.0 (fails completely) to 1.0 "
	"(fully satisfies the rubric)>}";

const char score_jp_closedqa[] =
	"You check whether a submission meets a criterion. Reason about the "
	"criterion step by step, then decide: Y when the submission meets "
	"it, N when it does not. " ONLY_JSON
	"{\"reason\": \"<your reasoning>\", \"answer\": \"Y\" or \"N\"}";

const char score_jp_factuality[] =
	"You compare the facts in a submitted answer with an expert answer "
	"to the same question. Ignore differences of style, wording, "
	"grammar and punctuation. Choose the one category that fits: "
	"A = the submission holds only part of the expert answer's facts and "
	"agrees with all of them; B = the submission holds all of the expert "
	"answer's facts, agrees with them and adds more; C = the submission "
	"holds the same facts as the expert answer; D = the submission "
	"contradicts the expert answer somewhere; E = the answers differ, "
	"but the differences do not matter for factual correctness. "
	ONLY_JSON "{\"reason\": \"<which facts match or conflict>\", "
	"\"category\": \"A\", \"B\", \"C\", \"D\" or \"E\"}";

const char score_jp_geval[] =
	"You evaluate an output against criteria. First write the "
	"evaluation steps that checking these criteria needs (3 to 5 short "
	"steps), then follow them on the output, then give a score from 0 "
	"(does not meet the criteria at all) to 10 (meets them fully). "
	ONLY_JSON "{\"steps\": [\"<step>\", …], \"reason\": \"<how the "
	"output did on each step>\", \"score\": <an integer from 0 to 10>}";

const char score_jp_answer_rel[] =
	"Read the answer below and write the three questions it most "
	"directly answers, each a single question a user could have asked. "
	ONLY_JSON "{\"questions\": [\"<question 1>\", \"<question 2>\", "
	"\"<question 3>\"]}";

const char score_jp_ctx_faith[] =
	"You check whether an answer is faithful to a context. List every "
	"factual claim the answer makes, one short self-contained statement "
	"each, and decide for each whether the context supports it (it is "
	"stated in the context or follows directly from it). Knowledge from "
	"outside the context does not count as support. An answer without "
	"factual claims gives an empty list. " ONLY_JSON
	"{\"claims\": [{\"claim\": \"<statement>\", \"supported\": <true or "
	"false>}, …], \"reason\": \"<summary>\"}";

const char score_jp_ctx_recall[] =
	"You check how much of a reference can be found in a context. For "
	"each numbered sentence of the reference, decide whether the "
	"information in it can be attributed to the context (the context "
	"states it or it follows directly from the context). " ONLY_JSON
	"{\"verdicts\": [{\"sentence\": <its number>, \"attributed\": <true "
	"or false>}, …], \"reason\": \"<summary>\"} with one verdict for "
	"every numbered sentence.";

const char score_jp_ctx_rel[] =
	"You judge which parts of a context are relevant to a query. The "
	"context is split into numbered sentences. List the numbers of the "
	"sentences that are needed or useful to answer the query; an empty "
	"list when none is. " ONLY_JSON
	"{\"relevant\": [<sentence numbers>], \"reason\": \"<summary>\"}";

const char score_jp_select_best[] =
	"You compare several outputs, each given with its index, and choose "
	"the one that best meets the criteria. Judge the content only: the "
	"order and the length of the outputs do not matter. " ONLY_JSON
	"{\"reason\": \"<why it is the best>\", \"best\": <the index of the "
	"best output>}";

const char score_jp_compare[] =
	"You compare two outputs, A and B, given for the same input, against "
	"the criteria. Decide which one meets them better, or whether they "
	"meet them equally well. Judge the content only: which output is "
	"shown first and how long each is do not matter. " ONLY_JSON
	"{\"reason\": \"<the decisive differences>\", \"winner\": \"A\", "
	"\"B\" or \"tie\"}";

const char *score_judge_format(int tag)
{
	switch ((enum judge_type)JTAG_TYPE(tag)) {
	case JT_RUBRIC:
		return "{\"reason\": \"…\", \"pass\": true or false, "
		       "\"score\": a number from 0.0 to 1.0}";
	case JT_CLOSEDQA:
		return "{\"reason\": \"…\", \"answer\": \"Y\" or \"N\"}";
	case JT_FACTUALITY:
		return "{\"reason\": \"…\", \"category\": \"A\", \"B\", "
		       "\"C\", \"D\" or \"E\"}";
	case JT_GEVAL:
		return "{\"steps\": [\"…\"], \"reason\": \"…\", \"score\": "
		       "an integer from 0 to 10}";
	case JT_ANSWER_REL:
		return "{\"questions\": [\"…\", \"…\", \"…\"]}";
	case JT_CTX_FAITH:
		return "{\"claims\": [{\"claim\": \"…\", \"supported\": true "
		       "or false}], \"reason\": \"…\"}";
	case JT_CTX_RECALL:
		return "{\"verdicts\": [{\"sentence\": 1, \"attributed\": "
		       "true or false}, … one per numbered sentence], "
		       "\"reason\": \"…\"}";
	case JT_CTX_REL:
		return "{\"relevant\": [sentence numbers], \"reason\": \"…\"}";
	case JT_SELECT_BEST:
		return "{\"reason\": \"…\", \"best\": the index of the best "
		       "output}";
	case JT_COMPARE:
		return "{\"reason\": \"…\", \"winner\": \"A\", \"B\" or "
		       "\"tie\"}";
	default:
		return "a JSON object";
	}
}
