# dpud, the node daemon (included by user/Makefile; paths relative to user/)
DPUD_PURE := dpud/config.c dpud/plan.c dpud/metrics.c dpud/agent_msg.c
DPUD_SRCS := dpud/dpud.c dpud/reconcile.c dpud/headroom.c dpud/http.c \
	dpud/directive.c dpud/nic.c dpud/agent.c dpud/caps.c dpud/qos.c $(DPUD_PURE)
DPUD_HDRS := dpud/dpud.h dpud/dpud_int.h dpud/dpud_qos.h
NL_ROUTE_CFLAGS := $(shell pkg-config --cflags libnl-route-3.0)
NL_ROUTE_LIBS := $(shell pkg-config --libs libnl-route-3.0)
DPUD_AGENT_CFLAGS := $(shell pkg-config --cflags libnghttp2 openssl libprotobuf-c)
DPUD_AGENT_LIBS := $(shell pkg-config --libs libnghttp2 openssl libprotobuf-c)

# the agent service's messages, generated from the provider's .proto
DPUD_GEN := $(O)/dpud/gen
DPUD_GEN_STAMP := $(DPUD_GEN)/.stamp
$(DPUD_GEN_STAMP): provider/proto/agent_messages.proto
	@mkdir -p $(DPUD_GEN)
	protoc-c --c_out=$(DPUD_GEN) -Iprovider/proto agent_messages.proto
	@touch $@
$(DPUD_GEN)/agent_messages.pb-c.c $(DPUD_GEN)/agent_messages.pb-c.h: $(DPUD_GEN_STAMP)
$(O)/dpud/genobj/agent_messages.o: $(DPUD_GEN_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(HARDEN_CFLAGS) $(DPUD_AGENT_CFLAGS) -c -o $@ $(DPUD_GEN)/agent_messages.pb-c.c
$(O)/san/dpud/genobj/agent_messages.o: $(DPUD_GEN_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) $(DPUD_AGENT_CFLAGS) -c -o $@ $(DPUD_GEN)/agent_messages.pb-c.c

all: $(O)/bin/dpud

$(O)/dpud/%.o $(O)/san/dpud/%.o: CFLAGS += -Idpud -I$(DPUD_GEN) $(NL_ROUTE_CFLAGS) $(DPUD_AGENT_CFLAGS)
$(DPUD_SRCS:%.c=$(O)/%.o) $(DPUD_SRCS:%.c=$(O)/san/%.o) $(O)/san/dpud/tests/dpud_test.o: $(DPUD_HDRS) $(DPUD_GEN_STAMP)

$(O)/bin/dpud: $(DPUD_SRCS:%.c=$(O)/%.o) $(O)/dpud/genobj/agent_messages.o $(LIBDPU)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $(HARDEN_LDFLAGS) -o $@ $^ $(NL_ROUTE_LIBS) $(DPUD_AGENT_LIBS) $(LDLIBS_MNL) -lm

$(O)/san/dpud_test: $(O)/san/dpud/tests/dpud_test.o $(DPUD_PURE:%.c=$(O)/san/%.o) $(O)/san/dpud/genobj/agent_messages.o $(LIB_SRCS:%.c=$(O)/san/%.o)
	$(CC) $(SAN) -o $@ $^ $(LDLIBS_MNL) $(shell pkg-config --libs libprotobuf-c) -lcmocka -lm

test: $(O)/san/dpud_test

# the same daemon with ASan/UBSan, for the guest end-to-end test
all: $(O)/san/bin/dpud
$(O)/san/bin/dpud: $(DPUD_SRCS:%.c=$(O)/san/%.o) $(O)/san/dpud/genobj/agent_messages.o $(LIB_SRCS:%.c=$(O)/san/%.o)
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -o $@ $^ $(NL_ROUTE_LIBS) $(DPUD_AGENT_LIBS) $(LDLIBS_MNL) -lm
