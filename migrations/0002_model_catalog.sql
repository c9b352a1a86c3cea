-- The global model catalog and list prices (USD per million tokens), effective 2025-01-01.
-- Prices change by inserting a newer effective-dated row (never by updating one): see docs/adr/0004.
-- Mock models carry a price so that costs show in an embedded set-up with no keys.

INSERT INTO models (id, organization_id, slug, provider, upstream_model, display_name, credential_id,
                    supports_vision, supports_streaming, context_window, max_output_tokens) VALUES
  ('mdl_openai_gpt-5', NULL, 'openai/gpt-5', 'openai', 'gpt-5', 'GPT-5', NULL, true, true, 400000, 128000),
  ('mdl_openai_gpt-5-mini', NULL, 'openai/gpt-5-mini', 'openai', 'gpt-5-mini', 'GPT-5 mini', NULL, true, true, 400000, 128000),
  ('mdl_openai_gpt-5-nano', NULL, 'openai/gpt-5-nano', 'openai', 'gpt-5-nano', 'GPT-5 nano', NULL, true, true, 400000, 128000),
  ('mdl_openai_gpt-4-1', NULL, 'openai/gpt-4.1', 'openai', 'gpt-4.1', 'GPT-4.1', NULL, true, true, 1047576, 32768),
  ('mdl_openai_gpt-4-1-mini', NULL, 'openai/gpt-4.1-mini', 'openai', 'gpt-4.1-mini', 'GPT-4.1 mini', NULL, true, true, 1047576, 32768),
  ('mdl_openai_gpt-4-1-nano', NULL, 'openai/gpt-4.1-nano', 'openai', 'gpt-4.1-nano', 'GPT-4.1 nano', NULL, true, true, 1047576, 32768),
  ('mdl_openai_gpt-4o', NULL, 'openai/gpt-4o', 'openai', 'gpt-4o', 'GPT-4o', NULL, true, true, 128000, 16384),
  ('mdl_openai_gpt-4o-mini', NULL, 'openai/gpt-4o-mini', 'openai', 'gpt-4o-mini', 'GPT-4o mini', NULL, true, true, 128000, 16384),
  ('mdl_openai_o4-mini', NULL, 'openai/o4-mini', 'openai', 'o4-mini', 'o4-mini', NULL, true, true, 200000, 100000),
  ('mdl_anthropic_claude-opus-4-5', NULL, 'anthropic/claude-opus-4-5', 'anthropic', 'claude-opus-4-5', 'Claude Opus 4.5', NULL, true, true, 200000, 64000),
  ('mdl_anthropic_claude-sonnet-4-5', NULL, 'anthropic/claude-sonnet-4-5', 'anthropic', 'claude-sonnet-4-5', 'Claude Sonnet 4.5', NULL, true, true, 200000, 64000),
  ('mdl_anthropic_claude-haiku-4-5', NULL, 'anthropic/claude-haiku-4-5', 'anthropic', 'claude-haiku-4-5', 'Claude Haiku 4.5', NULL, true, true, 200000, 64000),
  ('mdl_anthropic_claude-opus-4-1', NULL, 'anthropic/claude-opus-4-1', 'anthropic', 'claude-opus-4-1', 'Claude Opus 4.1', NULL, true, true, 200000, 32000),
  ('mdl_gemini_gemini-2-5-pro', NULL, 'gemini/gemini-2.5-pro', 'gemini', 'gemini-2.5-pro', 'Gemini 2.5 Pro', NULL, true, true, 1048576, 65536),
  ('mdl_gemini_gemini-2-5-flash', NULL, 'gemini/gemini-2.5-flash', 'gemini', 'gemini-2.5-flash', 'Gemini 2.5 Flash', NULL, true, true, 1048576, 65536),
  ('mdl_gemini_gemini-2-5-flash-lite', NULL, 'gemini/gemini-2.5-flash-lite', 'gemini', 'gemini-2.5-flash-lite', 'Gemini 2.5 Flash-Lite', NULL, true, true, 1048576, 65536),
  ('mdl_mock_echo', NULL, 'mock/echo', 'mock', 'echo', 'Mock echo (no network)', NULL, true, true, 128000, 16384),
  ('mdl_mock_lorem', NULL, 'mock/lorem', 'mock', 'lorem', 'Mock lorem ipsum (no network)', NULL, true, true, 128000, 16384),
  ('mdl_mock_slow', NULL, 'mock/slow', 'mock', 'slow', 'Mock echo, slow (no network)', NULL, false, true, 128000, 16384),
  ('mdl_mock_error', NULL, 'mock/error', 'mock', 'error', 'Mock that always fails (no network)', NULL, false, true, 128000, 16384);

INSERT INTO model_prices (id, model_id, organization_id, input_per_mtok, output_per_mtok,
                          cached_input_per_mtok, effective_from) VALUES
  ('prc_openai_gpt-5_2025', 'mdl_openai_gpt-5', NULL, 1.25, 10, 0.125, '2025-01-01T00:00:00Z'),
  ('prc_openai_gpt-5-mini_2025', 'mdl_openai_gpt-5-mini', NULL, 0.25, 2, 0.025, '2025-01-01T00:00:00Z'),
  ('prc_openai_gpt-5-nano_2025', 'mdl_openai_gpt-5-nano', NULL, 0.05, 0.4, 0.005, '2025-01-01T00:00:00Z'),
  ('prc_openai_gpt-4-1_2025', 'mdl_openai_gpt-4-1', NULL, 2, 8, 0.5, '2025-01-01T00:00:00Z'),
  ('prc_openai_gpt-4-1-mini_2025', 'mdl_openai_gpt-4-1-mini', NULL, 0.4, 1.6, 0.1, '2025-01-01T00:00:00Z'),
  ('prc_openai_gpt-4-1-nano_2025', 'mdl_openai_gpt-4-1-nano', NULL, 0.1, 0.4, 0.025, '2025-01-01T00:00:00Z'),
  ('prc_openai_gpt-4o_2025', 'mdl_openai_gpt-4o', NULL, 2.5, 10, 1.25, '2025-01-01T00:00:00Z'),
  ('prc_openai_gpt-4o-mini_2025', 'mdl_openai_gpt-4o-mini', NULL, 0.15, 0.6, 0.075, '2025-01-01T00:00:00Z'),
  ('prc_openai_o4-mini_2025', 'mdl_openai_o4-mini', NULL, 1.1, 4.4, 0.275, '2025-01-01T00:00:00Z'),
  ('prc_anthropic_claude-opus-4-5_2025', 'mdl_anthropic_claude-opus-4-5', NULL, 5, 25, 0.5, '2025-01-01T00:00:00Z'),
  ('prc_anthropic_claude-sonnet-4-5_2025', 'mdl_anthropic_claude-sonnet-4-5', NULL, 3, 15, 0.3, '2025-01-01T00:00:00Z'),
  ('prc_anthropic_claude-haiku-4-5_2025', 'mdl_anthropic_claude-haiku-4-5', NULL, 1, 5, 0.1, '2025-01-01T00:00:00Z'),
  ('prc_anthropic_claude-opus-4-1_2025', 'mdl_anthropic_claude-opus-4-1', NULL, 15, 75, 1.5, '2025-01-01T00:00:00Z'),
  ('prc_gemini_gemini-2-5-pro_2025', 'mdl_gemini_gemini-2-5-pro', NULL, 1.25, 10, 0.31, '2025-01-01T00:00:00Z'),
  ('prc_gemini_gemini-2-5-flash_2025', 'mdl_gemini_gemini-2-5-flash', NULL, 0.3, 2.5, 0.075, '2025-01-01T00:00:00Z'),
  ('prc_gemini_gemini-2-5-flash-lite_2025', 'mdl_gemini_gemini-2-5-flash-lite', NULL, 0.1, 0.4, 0.025, '2025-01-01T00:00:00Z'),
  ('prc_mock_echo_2025', 'mdl_mock_echo', NULL, 0.5, 1.5, 0.25, '2025-01-01T00:00:00Z'),
  ('prc_mock_lorem_2025', 'mdl_mock_lorem', NULL, 0.5, 1.5, 0.25, '2025-01-01T00:00:00Z'),
  ('prc_mock_slow_2025', 'mdl_mock_slow', NULL, 0.5, 1.5, 0.25, '2025-01-01T00:00:00Z'),
  ('prc_mock_error_2025', 'mdl_mock_error', NULL, 0.5, 1.5, 0.25, '2025-01-01T00:00:00Z');
