/* score_judge_prompts.h — private to src/score/: the default system
 * prompts of the model-graded types and the reply format each asks for
 * (score_judge_prompts.c).  Our own wording; the information asked for
 * follows promptfoo's graders. */
#ifndef ASSAY_SCORE_JUDGE_PROMPTS_H
#define ASSAY_SCORE_JUDGE_PROMPTS_H

extern const char score_jp_rubric[];
extern const char score_jp_closedqa[];
extern const char score_jp_factuality[];
extern const char score_jp_geval[];
extern const char score_jp_answer_rel[];
extern const char score_jp_ctx_faith[];
extern const char score_jp_ctx_recall[];
extern const char score_jp_ctx_rel[];
extern const char score_jp_select_best[];
extern const char score_jp_compare[];

/* The JSON reply a call with `tag` must give, as shown to the judge in a
 * repair request.  Static text. */
const char *score_judge_format(int tag);

#endif
