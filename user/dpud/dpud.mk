# dpud, the node daemon (included by user/Makefile; paths relative to user/)
DPUD_PURE := dpud/config.c dpud/plan.c dpud/metrics.c dpud/agent_msg.c
DPUD_SRCS := dpud/dpud.c dpud/reconcile.c dpud/headroom.c dpud/http.c \
	dpud/directive.c dpud/nic.c dpud/agent.c dpud/caps.c dpud/qos.c \
	dpud/niclim.c dpud/grpcd.c dpud/k8s.c dpud/dra.c dpud/devplugin.c \
	dpud/kube.c $(DPUD_PURE)
DPUD_HDRS := dpud/dpud.h dpud/dpud_int.h dpud/dpud_qos.h dpud/niclim.h \
	dpud/bpf/nic_limits.h dpud/grpcd.h dpud/k8s.h dpud/k8s_int.h dpud/kube.h
BPF_LIBS := $(shell pkg-config --libs libbpf)

# The NIC limits program: clang to BPF, a libbpf skeleton embedding it.
# Both are build products, remade whenever the program or its header
# change, so dpud never carries a stale object; bpf-check proves it.
CLANG ?= clang
BPF_CFLAGS := -O2 -g -target bpf -Wall -Werror \
	-I/usr/include/$(shell $(CC) -dumpmachine) -Idpud/bpf
$(O)/dpud/bpf/nic_limits.bpf.o: dpud/bpf/nic_limits.bpf.c dpud/bpf/nic_limits.h
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -c -o $@ $<
$(O)/dpud/bpf/nic_limits.skel.h: $(O)/dpud/bpf/nic_limits.bpf.o
	bpftool gen skeleton $< name nic_limits > $@.tmp
	mv $@.tmp $@
# the skeleton dpud is built with embeds exactly the object of this source
bpf-check: $(O)/dpud/bpf/nic_limits.skel.h
	@$(CLANG) $(BPF_CFLAGS) -c -o $(O)/dpud/bpf/check.bpf.o dpud/bpf/nic_limits.bpf.c
	@bpftool gen skeleton $(O)/dpud/bpf/check.bpf.o name nic_limits > $(O)/dpud/bpf/check.skel.h
	@cmp -s $(O)/dpud/bpf/check.skel.h $< || \
		{ echo "bpf-check: $< is stale: not made from dpud/bpf/nic_limits.bpf.c" >&2; exit 1; }
	@echo "bpf-check: skeleton matches dpud/bpf/nic_limits.bpf.c"
.PHONY: bpf-check
NL_ROUTE_CFLAGS := $(shell pkg-config --cflags libnl-route-3.0)
NL_ROUTE_LIBS := $(shell pkg-config --libs libnl-route-3.0)
DPUD_AGENT_CFLAGS := $(shell pkg-config --cflags libnghttp2 openssl libprotobuf-c libcurl yaml-0.1 json-c)
DPUD_AGENT_LIBS := $(shell pkg-config --libs libnghttp2 openssl libprotobuf-c libcurl yaml-0.1 json-c)

# the agent service's messages (the provider's .proto) and the kubelet's
# plugin APIs (dpud/proto: registration, DRA v1beta1, device plugin v1beta1)
DPUD_GEN := $(O)/dpud/gen
DPUD_GEN_STAMP := $(DPUD_GEN)/.stamp
DPUD_KPROTOS := pluginregistration dra_v1beta1 deviceplugin_v1beta1
DPUD_GENS := agent_messages $(DPUD_KPROTOS)
$(DPUD_GEN_STAMP): provider/proto/agent_messages.proto $(DPUD_KPROTOS:%=dpud/proto/%.proto)
	@mkdir -p $(DPUD_GEN)
	protoc-c --c_out=$(DPUD_GEN) -Iprovider/proto agent_messages.proto
	protoc-c --c_out=$(DPUD_GEN) -Idpud/proto $(DPUD_KPROTOS:%=%.proto)
	@touch $@
$(DPUD_GENS:%=$(DPUD_GEN)/%.pb-c.c) $(DPUD_GENS:%=$(DPUD_GEN)/%.pb-c.h): $(DPUD_GEN_STAMP)
$(O)/dpud/genobj/%.o: $(DPUD_GEN_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(HARDEN_CFLAGS) $(DPUD_AGENT_CFLAGS) -I$(DPUD_GEN) -c -o $@ $(DPUD_GEN)/$*.pb-c.c
$(O)/san/dpud/genobj/%.o: $(DPUD_GEN_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN) $(DPUD_AGENT_CFLAGS) -I$(DPUD_GEN) -c -o $@ $(DPUD_GEN)/$*.pb-c.c
# protoc-c names the device plugin's Register stub after a C keyword
$(O)/dpud/genobj/deviceplugin_v1beta1.o $(O)/san/dpud/genobj/deviceplugin_v1beta1.o: CFLAGS += -Dregister=register_rpc
DPUD_GEN_OBJS := $(DPUD_GENS:%=$(O)/dpud/genobj/%.o)
DPUD_GEN_SAN_OBJS := $(DPUD_GENS:%=$(O)/san/dpud/genobj/%.o)

all: $(O)/bin/dpud

$(O)/dpud/%.o $(O)/san/dpud/%.o: CFLAGS += -Idpud -Idpud/bpf -I$(O)/dpud/bpf -I$(DPUD_GEN) $(NL_ROUTE_CFLAGS) $(DPUD_AGENT_CFLAGS)
$(DPUD_SRCS:%.c=$(O)/%.o) $(DPUD_SRCS:%.c=$(O)/san/%.o) $(O)/san/dpud/tests/dpud_test.o: $(DPUD_HDRS) $(DPUD_GEN_STAMP)
$(O)/dpud/niclim.o $(O)/san/dpud/niclim.o: $(O)/dpud/bpf/nic_limits.skel.h

$(O)/bin/dpud: $(DPUD_SRCS:%.c=$(O)/%.o) $(DPUD_GEN_OBJS) $(LIBDPU)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) $(HARDEN_LDFLAGS) -o $@ $^ $(NL_ROUTE_LIBS) $(DPUD_AGENT_LIBS) $(BPF_LIBS) $(LDLIBS_MNL) -lm

$(O)/san/dpud_test: $(O)/san/dpud/tests/dpud_test.o $(DPUD_PURE:%.c=$(O)/san/%.o) $(O)/san/dpud/kube.o $(O)/san/dpud/genobj/agent_messages.o $(LIB_SRCS:%.c=$(O)/san/%.o)
	$(CC) $(SAN) -o $@ $^ $(LDLIBS_MNL) $(DPUD_AGENT_LIBS) -lcmocka -lm

test: $(O)/san/dpud_test

# the same daemon with ASan/UBSan, for the guest end-to-end test
all: $(O)/san/bin/dpud
$(O)/san/bin/dpud: $(DPUD_SRCS:%.c=$(O)/san/%.o) $(DPUD_GEN_SAN_OBJS) $(LIB_SRCS:%.c=$(O)/san/%.o)
	@mkdir -p $(dir $@)
	$(CC) $(SAN) -o $@ $^ $(NL_ROUTE_LIBS) $(DPUD_AGENT_LIBS) $(BPF_LIBS) $(LDLIBS_MNL) -lm
