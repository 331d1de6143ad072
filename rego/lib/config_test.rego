package govbot.lib.config_test

import rego.v1

import data.govbot.fixtures
import data.govbot.lib.config

test_limits_come_from_the_environment if {
	config.setting("prod", "faultRequireTimebox") == true with data.govbot.config as fixtures.config
	config.number("strict", "retriesMax") == 2 with data.govbot.config as fixtures.config
	config.duration_ns("strict", "faultMaxDuration") == 600000000000 with data.govbot.config as fixtures.config
}

test_every_limit_has_a_default if {
	every name, value in config.defaults {
		config.setting("stage", name) == value with data.govbot.config as fixtures.config
		config.setting("dev", name) == value with data.govbot.config as {}
	}
}

test_a_limit_of_the_wrong_type_falls_back_to_the_default if {
	cfg := {"environments": {"dev": {"limits": {"retriesMax": "five", "timeoutMax": "long"}}}}
	config.number("dev", "retriesMax") == 5 with data.govbot.config as cfg
	config.duration_ns("dev", "timeoutMax") == 60000000000 with data.govbot.config as cfg
}

test_max_replicas_per_namespace_with_a_default if {
	config.max_replicas("strict", "demo") == 4 with data.govbot.config as fixtures.config
	config.max_replicas("strict", "shop") == 20 with data.govbot.config as fixtures.config
	cfg := {"environments": {"dev": {"namespaces": {"demo": {"maxReplicas": "many"}}}}}
	config.max_replicas("dev", "demo") == 20 with data.govbot.config as cfg
}

test_ingress_caller_with_a_default if {
	config.ingress_caller == "istio-system/istio-ingressgateway" with data.govbot.config as {}
	config.ingress_caller == "gateway/edge" with data.govbot.config as {"ingressGateway": {"caller": "gateway/edge"}}
	config.ingress_caller == "istio-system/istio-ingressgateway" with data.govbot.config as {"ingressGateway": {"caller": 7}}
}

test_a_namespace_s_data_plane_has_defaults if {
	config.mesh("dev", "demo") == {"mode": "sidecar", "channel": "standard", "faultInjection": "off"} with data.govbot.config as fixtures.config
	config.mesh("dev", "nowhere") == {"mode": "sidecar", "channel": "standard", "faultInjection": "off"} with data.govbot.config as {}
}

test_a_namespace_s_data_plane_comes_from_govbot_yaml if {
	ambient := {
		"environments": {"dev": {"namespaces": {"demo": {"mesh": "ambient"}, "odd": {"mesh": "istio"}}}},
		"gatewayApi": {"channel": "experimental"},
		"ambient": {"faultInjection": "alpha"},
	}
	config.mesh("dev", "demo") == {"mode": "ambient", "channel": "experimental", "faultInjection": "alpha"} with data.govbot.config as ambient
	config.mesh("dev", "odd").mode == "sidecar" with data.govbot.config as ambient
	config.mesh("dev", "demo").channel == "standard" with data.govbot.config as {"gatewayApi": {"channel": "beta"}}
}
