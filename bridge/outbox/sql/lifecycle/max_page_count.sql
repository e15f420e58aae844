-- The size limit (outbox.max_size); %VALUE%: pages.
PRAGMA max_page_count = %VALUE%
