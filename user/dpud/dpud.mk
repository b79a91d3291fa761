# dpud, the node daemon (included by user/Makefile; paths relative to user/)
DPUD_PURE := dpud/config.c dpud/plan.c dpud/metrics.c
DPUD_SRCS := dpud/dpud.c dpud/nic.c $(DPUD_PURE)
DPUD_HDRS := dpud/dpud.h
NL_ROUTE_CFLAGS := $(shell pkg-config --cflags libnl-route-3.0)
NL_ROUTE_LIBS := $(shell pkg-config --libs libnl-route-3.0)

all: $(O)/bin/dpud

$(O)/dpud/%.o $(O)/san/dpud/%.o: CFLAGS += -Idpud $(NL_ROUTE_CFLAGS)
$(DPUD_SRCS:%.c=$(O)/%.o) $(DPUD_SRCS:%.c=$(O)/san/%.o) $(O)/san/dpud/tests/dpud_test.o: $(DPUD_HDRS)
$(O)/san/dpud/tests/dpud_test.o: CFLAGS += -Idpud

$(O)/bin/dpud: $(DPUD_SRCS:%.c=$(O)/%.o) $(O)/libdpu.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(NL_ROUTE_LIBS) $(LDLIBS_MNL) -lm

$(O)/san/dpud_test: $(O)/san/dpud/tests/dpud_test.o $(DPUD_PURE:%.c=$(O)/san/%.o) $(LIB_SRCS:%.c=$(O)/san/%.o)
	$(CC) $(SAN) -o $@ $^ $(LDLIBS_MNL) -lcmocka -lm

test: $(O)/san/dpud_test

# the same daemon with ASan/UBSan, for the guest end-to-end test
all: $(O)/san/bin/dpud
$(O)/san/bin/dpud: $(DPUD_SRCS:%.c=$(O)/san/%.o) $(LIB_SRCS:%.c=$(O)/san/%.o)
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -o $@ $^ $(NL_ROUTE_LIBS) $(LDLIBS_MNL) -lm
