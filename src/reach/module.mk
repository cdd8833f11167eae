# src/reach: the reachability oracle over compiled plans (uses plan, util).
REACH_SRCS := src/reach/reach.c
REACH_OBJS := $(call obj,$(REACH_SRCS))
LIBOTC_OBJS += $(REACH_OBJS)
