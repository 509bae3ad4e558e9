"""The asset graph reads market -> quality -> derived: groups, descriptions, owners, kinds."""

import dagster as dg

from coinwatch_assets.definitions import defs

ROLES = {
    "market": {"markets", "ohlcv"},
    "quality": {"ohlcv_gaps"},
    "derived": {"ohlcv_1h", "ohlcv_1d", "indicators"},
}


def test_market_quality_and_derived_groups_with_descriptions_owners_and_kinds() -> None:
    graph = defs.resolve_asset_graph()
    nodes = {key.to_user_string(): graph.get(key) for key in graph.get_all_asset_keys()}
    for group, names in ROLES.items():
        for name in names:
            node = nodes[name]
            assert node.group_name == group, name
            assert node.description and "\n" not in node.description.strip(), name
            assert node.owners, name
            assert node.kinds, name
    # Lineage: the quality node and every derived asset hang off ohlcv.
    ohlcv = dg.AssetKey("ohlcv")
    for name in ROLES["quality"] | ROLES["derived"]:
        assert ohlcv in nodes[name].parent_keys, name
    # ... and quality -> derived: indicators read the registry to explain look-back holes.
    assert dg.AssetKey("ohlcv_gaps") in nodes["indicators"].parent_keys
