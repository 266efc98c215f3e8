-- Quyền của vai trò (role) mà ứng dụng nhiemvu dùng để kết nối PostgreSQL.
--
-- Hai vai trò:
--   * vai trò chủ (owner), ví dụ nhiemvu_owner: sở hữu cơ sở dữ liệu và các bảng; chỉ dùng để
--     chạy `nhiemvu init` (tạo / nâng cấp lược đồ) và chạy tệp này;
--   * vai trò ứng dụng, ví dụ nhiemvu_app: API, Prefect worker và các lệnh hằng ngày kết nối
--     bằng vai trò này (NHIEMVU_DATABASE_URL). Nó không sở hữu bảng nào nên không thể
--     DROP TRIGGER, ALTER TABLE … DISABLE TRIGGER hay đổi lược đồ; không có TRUNCATE; với nhật
--     ký thay đổi (auditevent) chỉ được SELECT và INSERT.
--
-- Tạo vai trò ứng dụng một lần (quản trị viên PostgreSQL):
--   CREATE ROLE nhiemvu_app LOGIN PASSWORD '…' NOSUPERUSER NOCREATEDB NOCREATEROLE;
--
-- Chạy tệp này bằng vai trò chủ, sau mỗi lần `nhiemvu init` (bảng mới cần được cấp quyền; chạy
-- lại nhiều lần không sao):
--   psql "postgresql://nhiemvu_owner@máy-chủ/nhiemvu" -v ON_ERROR_STOP=1 \
--        -v app_role=nhiemvu_app -f docs/postgres-roles.sql
--
-- Tìm kiếm không dấu dùng phần mở rộng pg_trgm (migration 0017_search chạy
-- CREATE EXTENSION IF NOT EXISTS pg_trgm). Vai trò chạy `nhiemvu init` cần được phép tạo nó
-- (chủ cơ sở dữ liệu, vì pg_trgm là phần mở rộng "trusted" từ PostgreSQL 13); nếu không,
-- quản trị viên tạo trước một lần: CREATE EXTENSION pg_trgm; (vai trò ứng dụng không cần gì thêm).
--
-- Từ PostgreSQL 15, PUBLIC không còn quyền CREATE trên schema public; với bản cũ hơn, chủ
-- schema cần chạy thêm: REVOKE CREATE ON SCHEMA public FROM PUBLIC;

GRANT USAGE ON SCHEMA public TO :"app_role";

-- Bắt đầu lại từ đầu mỗi lần chạy, để quyền chỉ đúng như dưới đây.
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM :"app_role";
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM :"app_role";

-- Dữ liệu nghiệp vụ: đọc, thêm, sửa, xóa dòng; không TRUNCATE, không TRIGGER, không REFERENCES.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app_role";
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO :"app_role";

-- Nhật ký thay đổi: chỉ đọc và ghi thêm.
REVOKE UPDATE, DELETE ON auditevent FROM :"app_role";

-- Phiên bản lược đồ: ứng dụng chỉ đọc để biết cơ sở dữ liệu đã ở bản mới nhất.
REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM :"app_role";
