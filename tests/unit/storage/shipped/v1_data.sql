-- Rows as MayaDesk's schema version 1 wrote them (one conversation with every kind of entry).
-- Never edit: migrations must carry exactly these rows forward.

INSERT INTO "conversations" VALUES('0f3c1a5e9b7d4c2a8e6f1b3d5a7c9e01','Two dry martinis','default',0,1,1,NULL,1767225000.0,1767225600.0,'small_talk','mixing',2,'{"version":1,"starting_balance_cents":100000,"paid_cents":0,"bills_paid":0,"order":{"lines":[]},"bill":{"lines":[{"name":"Martini","quantity":2,"unit_cents":1300,"modifiers":["dry"]}],"tip":{"basis_points":1500}}}');
INSERT INTO "entries" VALUES(1,'0f3c1a5e9b7d4c2a8e6f1b3d5a7c9e01',0,'message','user','text','Two dry martinis, please.',NULL,1767225100.0,NULL,0,0,0,NULL,NULL);
INSERT INTO "entries" VALUES(2,'0f3c1a5e9b7d4c2a8e6f1b3d5a7c9e01',1,'tool_exchange',NULL,NULL,'',NULL,1767225101.0,NULL,0,0,0,'[{"id":"call-1","name":"add_to_order","args":{"item":"Martini","quantity":2,"modifiers":["dry"]},"signature":"c2lnbmF0dXJl"}]','[{"call_id":"call-1","name":"add_to_order","result":{"ok":true,"line":"2 × Martini (dry)"}}]');
INSERT INTO "entries" VALUES(3,'0f3c1a5e9b7d4c2a8e6f1b3d5a7c9e01',2,'message','maya','text','Two dry martinis, coming up.','mixing',1767225102.0,'cartesia',0,0,0,NULL,NULL);
INSERT INTO "entries" VALUES(4,'0f3c1a5e9b7d4c2a8e6f1b3d5a7c9e01',3,'message','user','tip_note','Added a 15% tip.',NULL,1767225103.0,NULL,0,0,0,NULL,NULL);
INSERT INTO "entries" VALUES(5,'0f3c1a5e9b7d4c2a8e6f1b3d5a7c9e01',4,'message','maya','text','You''re too kind—','happy',1767225104.0,'piper',1,0,0,NULL,NULL);
INSERT INTO "turn_timings" VALUES('0f3c1a5e9b7d4c2a8e6f1b3d5a7c9e01',0,'{"first_token":0.41,"first_audio":0.72}',1767225600.0);
