# src/plan: the node plan (the compiler/executor contract) and its JSON form.
PLAN_SRCS := src/plan/plan.c src/plan/plan_schema.c src/plan/plan_json.c src/plan/plan_jsonw.c src/plan/plan_text.c src/plan/plan_sh.c src/plan/plan_diff.c
PLAN_OBJS := $(call obj,$(PLAN_SRCS))
LIBOTC_OBJS += $(PLAN_OBJS)
