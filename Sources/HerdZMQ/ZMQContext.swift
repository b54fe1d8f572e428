// HerdZMQ: placeholder
