-- ?1 version, ?2 name, ?3 when (epoch ms).
INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)
